#!/usr/bin/env python3
"""Cross-check iomon against strace on real programs.

Each workload (a function below) runs programs nobody here wrote -- cp, tar,
gzip, sqlite3, Debian's python3, a shell pipeline -- twice, each time in a
fresh scratch directory at the same path ($S): once under

    strace -ff -qq -yy -xx -s 0 -e signal=none -e trace=SYSCALLS -o LOG

(one log per thread, so no call is split; -xx hex-escapes every path, so a
path with a comma, a quote, a newline or a byte that is not UTF-8 parses
exactly; -yy names the file, pipe or socket behind every descriptor as the
kernel sees it), and once under `iomon -o TRACE`, whose records are read
with the csv module.  Then, for each file, it checks that both saw the same.

Compared, per file, keyed by its absolute path as the kernel names it
(iomon's paths are resolved with realpath() right after its run, so "a/../b"
and symbolic links name the file strace names; " (deleted)" is dropped):

  opens         strace: successful open, openat, openat2 and creat calls
                whose result names the file.  iomon: OPEN records
                (FILE_OPEN_CLOSE, error 0) whose s1 names it, less fdopen()
                records (an OPEN with a stdio mode in s2 on a descriptor the
                process already had open: fdopen makes no system call).
  failed opens  the same for the calls that failed and the OPEN records
                with an error.
  written       strace: the results of write, pwrite64, writev, pwritev,
                pwritev2, sendto and sendmsg on descriptors naming the file,
                and the destination side of sendfile, copy_file_range and
                splice.  iomon: the bytes of WRITE records whose s1 names it.
  read          the same with read, pread64, readv, preadv, preadv2,
                recvfrom, recvmsg, READ records, and the source side of the
                two-descriptor calls.
  named         every file strace saw opened (less the exclusions below)
                is named, in s1 or s2, by at least one iomon record.
Each must be equal, except bytes moved through a stdio stream, where iomon
may count fewer, never more (see stdio).  Pipes are compared as one
entity, "(pipes)", and sockets as "(sockets)": their names (pipe:[inode],
ports) differ from one run to the other.

How entry points that make no system call of their own, or several, are
accounted for:

  stdio         fwrite, fputs, fprintf and the like record the bytes the
                program handed them; the C library writes its buffer later,
                with a write(2) from inside itself, which iomon does not
                record (by design).  What reaches the file is exactly what
                the program wrote, once flushed (every workload ends through
                exit(), which flushes), so written bytes must be equal for
                every file, stdio or not.  Reading is not symmetric: the C
                library reads ahead a buffer at a time, so iomon's logical
                bytes may be fewer than the kernel's, never more.  A file
                counts as read through stdio when an iomon OPEN record of it
                has an fopen() mode ("r", "rb", "re"...) in s2 rather than
                O_ flags.  What no wrapper can see shows as a difference:
                stdio functions iomon does not wrap (the printf family
                writing to stdout), and glibc's inline getc_unlocked,
                putc_unlocked and the like, which move bytes through the
                stream's buffer without calling any function, so that no
                preload library can see them (wc's last newline, for one).
                Writing is therefore not exact either on a stream the
                program wrote through stdio: a file opened with an fopen()
                mode, or one that iomon records an fflush() of (programs
                flush stdout at exit; fflush is a FLUSH record): there
                iomon may count fewer bytes written than the kernel, never
                more.
  fdopen        makes no system call: not counted as an open (above).
  fclose, fflush, exit
                may write a stream's buffer: those bytes are the stream's,
                counted with the functions that filled it (stdio, above).
  copy_file_range, sendfile, splice
                one call moves bytes between two descriptors: counted as
                read from the source and written to the destination, on both
                sides.  iomon's record is the destination's, its s2 the
                source's path (a READ or WRITE record with a descriptor name
                in s2, of the domain and operation under which this build
                lists these functions).
  send, recv, sendto, recvfrom, sendmsg, recvmsg
                one system call each (send is sendto, recv is recvfrom).
  opendir, fchmodat(AT_SYMLINK_NOFOLLOW)
                open the file with the C library's internal open, with flags
                of their own that strace shows: O_RDONLY|O_NONBLOCK|
                O_CLOEXEC|O_DIRECTORY and O_RDONLY|O_NOFOLLOW|O_CLOEXEC|
                O_PATH.  Such an open is the program's own when iomon has an
                OPEN record of the path with those very flags; otherwise it
                is the function's, and is not counted as an open: when the
                build wraps the function, at least as many of its records
                (OPENDIR, CHMOD) must name the path; when a domain table
                wraps it but the build leaves it out, it is excluded.

Excluded from strace's side, with the reason, in the table of each workload:

  loader        the dynamic loader's opens: /etc/ld.so.cache, every object
                it maps with PROT_EXEC (the libraries at start-up, and those
                dlopen() loads later, such as Python's extension modules),
                and the libraries it looks for where they are not.  It opens
                them with its own internal calls, at start-up before
                libiomon.so's constructor has run: iomon cannot see them.
  runtime       files the C library opens for itself, with internal calls,
                for functions that are not open functions: locale data,
                message catalogs and iconv's module cache (setlocale,
                gettext, iconv_open: /usr/lib/locale/, /usr/share/locale/,
                .../gconv/), name-service and time-zone data (getpwuid and
                its kind, tzset: /etc/nsswitch.conf, /etc/passwd,
                /etc/group, /etc/localtime, /usr/share/zoneinfo/...).  The
                paths are those compiled into glibc.
  ctor          what other libraries' constructors do: the loader runs them
                before libiomon.so's, which, preloaded and needed by none,
                comes last.  The only one these workloads meet is
                libselinux's constructor reading /proc/filesystems.
  not compiled in
                system calls that only functions this build leaves out
                (-Ddomains) can have made, though a domain table wraps them.
The check grows stricter by itself as domains are compiled in: it reads the
functions this build wraps from the man page the build generated, and what
the tables wrap from domains/*.def.  The bytes of an excluded file are
excluded with it; a file that the program also opened itself is compared
whole, and one that a rule gives to the runtime but that iomon records an
open of is a difference.

The library's own socket to the collector (descriptor 900 and up) and its
own reads of /proc/self are not in strace's run, where the program runs
without the library; in iomon's run no record may show them.  iomon's
records that are not I/O (START, EXEC, EXIT, CLOSE, STAT...) are counted in
the table and not compared.

Failure (exit status 1), each difference on a DIFF line:
  - a count that differs, or a file strace saw opened that iomon never names;
  - MISSING: a system call that strace saw and that only functions no
    domain table wraps can have made: iomon has no way to record it yet.
"""

import argparse
import collections
import csv
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

# Record codes (libiomon/codes.h).
DOM_FILE_OPEN_CLOSE = 13
DOM_START_STOP = 16
DOM_SYNCS = 5
OP_FLUSH = 32
OP_OPEN = 0
OP_CLOSE = 1
OP_WRITE = 2
OP_READ = 3
LIBRARY_FD_FLOOR = 900

OPEN_SYSCALLS = ('open', 'openat', 'openat2', 'creat')
OPEN_FUNCTIONS = ('open', 'open64', 'openat', 'openat64', 'creat', 'creat64', 'fopen', 'fopen64')
# System calls that move bytes: (name) -> (direction, functions that make it).
BYTE_SYSCALLS = {
    'read': ('read', ('read', '__read_chk')),
    'pread64': ('read', ('pread', 'pread64', '__pread_chk', '__pread64_chk')),
    'readv': ('read', ('readv',)),
    'preadv': ('read', ('preadv', 'preadv64')),
    'preadv2': ('read', ('preadv2', 'preadv64v2')),
    'recvfrom': ('read', ('recv', 'recvfrom', '__recv_chk', '__recvfrom_chk')),
    'recvmsg': ('read', ('recvmsg',)),
    'write': ('write', ('write',)),
    'pwrite64': ('write', ('pwrite', 'pwrite64')),
    'writev': ('write', ('writev',)),
    'pwritev': ('write', ('pwritev', 'pwritev64')),
    'pwritev2': ('write', ('pwritev2', 'pwritev64v2')),
    'sendto': ('write', ('send', 'sendto')),
    'sendmsg': ('write', ('sendmsg',)),
}
# Two descriptors: (name) -> (index of source fd, index of destination fd, functions).
MOVE_SYSCALLS = {
    'sendfile': (1, 0, ('sendfile', 'sendfile64')),
    'copy_file_range': (0, 2, ('copy_file_range',)),
    'splice': (0, 2, ('splice',)),
}
MOVE_FUNCTIONS = ('copy_file_range', 'sendfile', 'sendfile64', 'splice')
# Their byte counts are per message, not in the result: never expected here.
UNDECODED_SYSCALLS = ('sendmmsg', 'recvmmsg', 'tee', 'vmsplice')
TRACED = (OPEN_SYSCALLS + tuple(BYTE_SYSCALLS) + tuple(MOVE_SYSCALLS) + UNDECODED_SYSCALLS
          + ('mmap',))

# Opens the C library makes inside other functions, known by their flags
# (glibc 2.36): opendir's __open_nocancel(O_RDONLY|O_NDELAY|O_DIRECTORY|
# O_CLOEXEC), and fchmodat(AT_SYMLINK_NOFOLLOW)'s O_PATH open of the file.
INTERNAL_OPENS = {
    frozenset(('O_RDONLY', 'O_NONBLOCK', 'O_CLOEXEC', 'O_DIRECTORY')): 'opendir',
    frozenset(('O_RDONLY', 'O_NOFOLLOW', 'O_CLOEXEC', 'O_PATH')): 'fchmodat',
}

RUNTIME_PREFIXES = ('/usr/lib/locale/', '/usr/share/locale/', '/usr/share/zoneinfo/')
RUNTIME_DIRS = ('/gconv/',)
RUNTIME_FILES = frozenset((
    '/etc/nsswitch.conf', '/etc/passwd', '/etc/group',
    '/etc/localtime', '/etc/hosts', '/etc/host.conf', '/etc/resolv.conf', '/etc/gai.conf',
    '/etc/services', '/etc/protocols',
))
CTOR_FILES = {'/proc/filesystems': 'libselinux\'s constructor'}

FIXED_TIME = 1700000000
PIPES = '(pipes)'
SOCKETS = '(sockets)'


class Failure(Exception):
    """The check could not run (a missing program, a workload that failed)."""


# ---------------------------------------------------------------- the build

class Build:
    """What this build of iomon wraps, and what the domain tables wrap."""

    def __init__(self, man_page, source):
        self.wrapped = {}  # function -> (domain, op) as the man page lists it
        self.tabled = {}  # function -> table file, over every domains/*.def
        self.names = {}  # 'domain'/'op' -> number -> name, from codes.h
        self._read_codes(os.path.join(source, 'libiomon', 'codes.h'))
        self._read_man(man_page)
        self._read_tables(os.path.join(source, 'domains'))
        self.move_codes = {self.wrapped[f] for f in MOVE_FUNCTIONS if f in self.wrapped}

    def _read_codes(self, path):
        with open(path, encoding='utf-8') as f:
            text = f.read()
        for kind, macro in (('domain', 'IOMON_DOMAIN_LIST'), ('op', 'IOMON_OP_LIST')):
            body = re.search(r'#define ' + macro + r'\(X\)((?:.*\\\n)*.*)', text).group(1)
            self.names[kind] = {int(n): name for name, n in re.findall(r'X\((\w+), (\d+)\)', body)}

    def code_name(self, domain, op):
        return (f'{self.names["domain"].get(domain, domain)}/'
                f'{self.names["op"].get(op, op)}')

    def _read_man(self, path):
        with open(path, encoding='utf-8') as f:
            text = f.read()
        section = text.split('\n.SH WRAPPED FUNCTIONS\n', 1)
        if len(section) != 2:
            raise Failure(f'{path}: no WRAPPED FUNCTIONS section')
        domain = op = None
        for line in section[1].split('\n.SH ', 1)[0].splitlines():
            m = re.match(r'^\.SS \\%(\w+) \((\d+)\)$', line)
            if m:
                domain = int(m.group(2))
                continue
            m = re.match(r'^\.BR \\%(\w+) " \((\d+)\)"$', line)
            if m:
                op = int(m.group(2))
                continue
            m = re.match(r'^\.BR? \\%(\w+)(?: ,)?$', line)
            if m and domain is not None and op is not None:
                self.wrapped[m.group(1)] = (domain, op)
        if not self.wrapped:
            raise Failure(f'{path}: no wrapped functions found')

    def _read_tables(self, path):
        row = re.compile(r'^\s*(IOMON_\w+)\(\s*([^,]+?)\s*,\s*([^,]*?)\s*[,)]', re.M)
        for name in sorted(os.listdir(path)):
            if not name.endswith('.def'):
                continue
            with open(os.path.join(path, name), encoding='utf-8') as f:
                text = re.sub(r'/\*.*?\*/', '', f.read(), flags=re.S)
            for m in row.finditer(text):
                macro, first, second = m.groups()
                fn = second if macro in ('IOMON_WRAP', 'IOMON_WRAP_AS') else first
                if re.fullmatch(r'\w+', fn):
                    self.tabled.setdefault(fn, name)

    def status(self, functions):
        """'wrapped', ('not compiled in', table) or ('missing', None) for a
        system call that only these functions make."""
        if any(f in self.wrapped for f in functions):
            return 'wrapped', None
        tables = sorted({self.tabled[f] for f in functions if f in self.tabled})
        if tables:
            return 'not compiled in', ', '.join(tables)
        return 'missing', None


# ------------------------------------------------------------ strace's side

ANNOTATED = re.compile(r'^(-?\d+|AT_FDCWD)<(.*)>$', re.S)
HEXPATH = re.compile(r'^((?:\\x[0-9a-f]{2})*)(?:<[^<>]*>)?$')
HEXSTR = re.compile(r'^"((?:\\x[0-9a-f]{2})*)"')
CALL = re.compile(r'^(\w+)\((.*)\)\s+= (.*)$', re.S)


def unhex(s):
    return os.fsdecode(bytes.fromhex(s.replace('\\x', '')))


def split_args(s):
    """Top-level arguments of a decoded call (strings are hex, so only
    brackets matter)."""
    args, depth, start = [], 0, 0
    for i, c in enumerate(s):
        if c in '([{':
            depth += 1
        elif c in ')]}':
            depth -= 1
        elif c == ',' and depth == 0:
            args.append(s[start:i].strip())
            start = i + 1
    args.append(s[start:].strip())
    return args


def fd_name(arg):
    """(fd, name) of an annotated descriptor argument or result."""
    m = ANNOTATED.match(arg)
    if not m:
        return None, None
    fd, note = m.groups()
    h = HEXPATH.match(note)
    name = unhex(h.group(1)) if h else note
    return fd, name


def entity(name):
    """The key a descriptor's name is compared under."""
    if name is None:
        return None
    if name.startswith('/'):
        return name[:-len(' (deleted)')] if name.endswith(' (deleted)') else name
    if name.startswith('pipe:'):
        return PIPES
    if name.startswith('socket:') or re.match(r'^[A-Z0-9-]+:\[', name):
        return SOCKETS
    return name


class StraceRun:
    """Every call of interest from one strace run's logs."""

    def __init__(self):
        self.opens = []  # dicts: pid, given, path, flags, ok
        self.bytes = []  # (syscall, direction, entity, n)
        self.undecoded = collections.Counter()

    def read_logs(self, prefix):
        d, base = os.path.split(prefix)
        for name in sorted(os.listdir(d)):
            if name.startswith(base + '.'):
                self._read_log(os.path.join(d, name), name[len(base) + 1:])

    def _read_log(self, path, pid):
        with open(path, encoding='ascii', errors='surrogateescape') as f:
            lines = f.read().split('\n')
        pending = {}
        open_by_fd = {}  # fd -> the last open that returned it, for mmap
        for line in lines:
            if not line or line.startswith(('---', '+++')):
                continue
            if line.endswith(' <unfinished ...>'):
                name = line.split('(', 1)[0]
                pending[name] = line[:-len(' <unfinished ...>')]
                continue
            m = re.match(r'^<\.\.\. (\w+) resumed>(.*)$', line, re.S)
            if m:
                line = pending.pop(m.group(1), m.group(1) + '(') + m.group(2)
            m = CALL.match(line)
            if not m:
                continue
            name, args, ret = m.groups()
            self._call(pid, name, split_args(args), ret, open_by_fd)

    def _call(self, pid, name, args, ret, open_by_fd):
        ok = not ret.startswith(('-1 ', '?'))
        if name in OPEN_SYSCALLS:
            given, flags = self._open_args(name, args)
            fd, path = fd_name(ret) if ok else (None, None)
            rec = {'pid': pid, 'given': given, 'path': entity(path) if path else given,
                   'flags': flags, 'ok': ok, 'exec_mapped': False}
            self.opens.append(rec)
            if fd is not None:
                open_by_fd[fd] = rec
        elif name == 'mmap' and ok:
            fd, _ = fd_name(args[4])
            if fd in open_by_fd and 'PROT_EXEC' in args[2]:
                open_by_fd[fd]['exec_mapped'] = True
        elif name in BYTE_SYSCALLS and ok:
            direction = BYTE_SYSCALLS[name][0]
            self.bytes.append((name, direction, entity(fd_name(args[0])[1]), int(ret.split()[0])))
        elif name in MOVE_SYSCALLS and ok:
            src, dst, _ = MOVE_SYSCALLS[name]
            n = int(ret.split()[0])
            self.bytes.append((name, 'read', entity(fd_name(args[src])[1]), n))
            self.bytes.append((name, 'write', entity(fd_name(args[dst])[1]), n))
        elif name in UNDECODED_SYSCALLS and ok:
            self.undecoded[name] += 1

    @staticmethod
    def _open_args(name, args):
        if name in ('open', 'creat'):
            dirname, path = None, args[0]
        else:
            dirname, path = fd_name(args[0])[1], args[1]
        h = HEXSTR.match(path)
        given = unhex(h.group(1)) if h else path
        if not given.startswith('/') and dirname:
            given = os.path.join(dirname, given)
        given = os.path.normpath(given)
        if name == 'creat':
            flags = frozenset(('O_WRONLY', 'O_CREAT', 'O_TRUNC'))
        elif name == 'openat2':
            m = re.search(r'flags=([\w|]+)', args[2])
            flags = frozenset(m.group(1).split('|')) if m else frozenset()
        else:
            flags = frozenset(args[2 if name == 'openat' else 1].split('|'))
        return given, flags


def runtime_reason(op):
    """Why an open is the loader's or the C library's own, or None."""
    given = op['given']
    if given == '/etc/ld.so.cache' or op['exec_mapped']:
        return 'loader'
    # A library the loader looked for where it is not.
    if (not op['ok'] and op['flags'] == frozenset(('O_RDONLY', 'O_CLOEXEC'))
            and re.search(r'\.so(\.[0-9.]+)?$', given)):
        return 'loader'
    if (given in RUNTIME_FILES or given.startswith(RUNTIME_PREFIXES)
        or any(d in given for d in RUNTIME_DIRS)):
        return 'runtime'
    if given in CTOR_FILES:
        return f'ctor: {CTOR_FILES[given]}'
    return None


# ------------------------------------------------------------- iomon's side

class IomonRun:
    def __init__(self, path, build):
        self.records = []
        with open(path, newline='', encoding='utf-8', errors='surrogateescape') as f:
            for row in csv.reader(f):
                if len(row) != 11:
                    raise Failure(f'{path}: a record of {len(row)} fields: {row!r}')
                self.records.append({
                    'pid': int(row[3]), 'domain': int(row[4]), 'op': int(row[5]),
                    'err': int(row[6]), 'fd': int(row[7]), 'bytes': int(row[8]),
                    's1': row[9], 's2': row[10]})
        self.build = build
        self._resolve()

    def _resolve(self):
        """Names as the kernel would give them, while the files are there."""
        cache = {}
        for r in self.records:
            for k in ('s1', 's2'):
                v = r[k]
                if v.startswith('/'):
                    if v not in cache:
                        cache[v] = entity(os.path.realpath(v))
                    r[k + 'key'] = cache[v]
                elif re.match(r'^\d+\.\d+\.\d+\.\d+:\d+$|^\[.*\]:\d+$', v):
                    r[k + 'key'] = SOCKETS  # a socket, named by its peer
                else:
                    r[k + 'key'] = entity(v) if v else v

    def is_move(self, r):
        return ((r['domain'], r['op']) in self.build.move_codes and r['s2'] != ''
                and (r['s2'].startswith('/') or re.match(r'^\w+:\[', r['s2'])))


def is_stdio_mode(s2):
    return s2 != '' and not s2.startswith('O_') and re.fullmatch(r'[rwa][a-z+]*', s2) is not None


# ------------------------------------------------------------- comparing

class Comparison:
    def __init__(self, strace, iomon, build, base, scratch):
        self.build = build
        self.places = ((scratch, '$S'), (os.path.join(base, 'out'), '$OUT'))
        self.rows = {}  # entity -> Counter of s_/i_ opens, read, write
        self.excluded = collections.defaultdict(collections.Counter)  # reason -> Counter
        self.excluded_paths = collections.defaultdict(set)
        self.missing = collections.defaultdict(collections.Counter)  # functions -> Counter
        self.internal = collections.Counter()  # (function, path) -> internal opens to find
        self.diffs = []
        self._iomon(iomon)
        self._strace(strace)
        self._compare()

    def row(self, key):
        return self.rows.setdefault(key, collections.Counter())

    def _iomon(self, run):
        self.iomon_named = set()
        self.iomon_stdio = set()
        self.iomon_stdio_out = set()
        self.iomon_flags = collections.Counter()  # (path, flag set) -> OPEN records
        self.iomon_calls = collections.Counter()  # (domain, op, path) -> successful records
        self.not_io = collections.Counter()
        open_fds = collections.defaultdict(dict)  # pid -> fd -> path
        library = 0
        for r in run.records:
            for k in ('s1key', 's2key'):
                if r[k]:
                    self.iomon_named.add(r[k])
            if r['fd'] >= LIBRARY_FD_FLOOR:
                library += 1
            dom, op = r['domain'], r['op']
            self.iomon_calls[(dom, op, r['s1key'], not r['err'])] += 1
            if (dom, op) == (DOM_SYNCS, OP_FLUSH) and r['s1key']:
                self.iomon_stdio_out.add(r['s1key'])
            if dom == DOM_FILE_OPEN_CLOSE and op == OP_OPEN:
                if r['err']:
                    self.row(r['s1key'])['i_failed'] += 1
                    if not is_stdio_mode(r['s2']):
                        self.iomon_flags[(r['s1key'], frozenset(r['s2'].split('|')), False)] += 1
                    continue
                if is_stdio_mode(r['s2']):
                    self.iomon_stdio.add(r['s1key'])
                    self.iomon_stdio_out.add(r['s1key'])
                    if open_fds[r['pid']].get(r['fd']) is not None:
                        self.not_io['fdopen (makes no system call)'] += 1
                        continue
                else:
                    self.iomon_flags[(r['s1key'], frozenset(r['s2'].split('|')), True)] += 1
                open_fds[r['pid']][r['fd']] = r['s1key']
                self.row(r['s1key'])['i_opens'] += 1
            elif dom == DOM_FILE_OPEN_CLOSE and op == OP_CLOSE:
                open_fds[r['pid']].pop(r['fd'], None)
                self.not_io['CLOSE'] += 1
            elif op in (OP_READ, OP_WRITE) and dom != DOM_START_STOP:
                if r['err']:
                    self.not_io[f'failed {"READ" if op == OP_READ else "WRITE"}'] += 1
                    continue
                if run.is_move(r):
                    self.row(r['s1key'])['i_write'] += r['bytes']
                    self.row(r['s2key'])['i_read'] += r['bytes']
                else:
                    direction = 'read' if op == OP_READ else 'write'
                    self.row(r['s1key'])['i_' + direction] += r['bytes']
            else:
                self.not_io[self.build.code_name(dom, op)] += 1
        self.library = library
        if library:
            self.diffs.append(f'{library} records on descriptors from {LIBRARY_FD_FLOOR} up '
                              '(the library\'s own socket?)')

    def _strace(self, s):
        runtime_only = {}
        self.strace_opened = set()
        unmatched = collections.Counter(self.iomon_flags)
        for op in s.opens:
            ok = op['ok']
            what = 'opens' if ok else 'failed opens'
            reason = runtime_reason(op)
            if reason:
                self.excluded[reason][what] += 1
                self.excluded_paths[reason].add(op['given'])
                if ok:
                    runtime_only.setdefault(op['path'], reason)
                continue
            function = INTERNAL_OPENS.get(op['flags'])
            flagged = (op['path'], op['flags'], ok)
            if function and unmatched[flagged] > 0:
                # iomon saw the program open it with these very flags.
                unmatched[flagged] -= 1
                function = None
            if function:
                status, table = self.build.status((function,))
                if status == 'wrapped':
                    self.internal[(function, op['path'], ok)] += 1
                    self.strace_opened.add(op['path'])
                elif status == 'not compiled in':
                    reason = f'not compiled in: {function} ({table}), its internal open'
                    self.excluded[reason][what] += 1
                    self.excluded_paths[reason].add(op['path'])
                else:
                    self.missing[function][(op['path'], what)] += 1
                continue
            status, table = self.build.status(OPEN_FUNCTIONS)
            if status != 'wrapped':
                reason = f'{status}: open and its kind ({table})'
                self.excluded[reason][what] += 1
                self.excluded_paths[reason].add(op['path'])
                continue
            self.row(op['path'])['s_opens' if ok else 's_failed'] += 1
            if ok:
                self.strace_opened.add(op['path'])
        # A path the program opened itself is compared whole.
        for p in self.strace_opened:
            runtime_only.pop(p, None)
        self.runtime_only = runtime_only
        for syscall, direction, key, n in s.bytes:
            if key in runtime_only:
                self.excluded[runtime_only[key]][direction] += n
                continue
            functions = (BYTE_SYSCALLS.get(syscall) or MOVE_SYSCALLS.get(syscall))[-1]
            status, table = self.build.status(functions)
            if status == 'not compiled in':
                reason = f'not compiled in: {"/".join(functions)} ({table})'
                self.excluded[reason][direction] += n
                self.excluded_paths[reason].add(key)
                continue
            if status == 'missing':
                self.missing['/'.join(functions)][(key, direction)] += n
                continue
            self.row(key)['s_' + direction] += n
        for syscall, count in s.undecoded.items():
            self.diffs.append(f'{syscall}: {count} calls whose bytes this check does not count')

    def _compare(self):
        for key, c in sorted(self.rows.items(), key=lambda kv: self.show(kv[0])):
            for what, s_n, i_n in (('opens', c['s_opens'], c['i_opens']),
                                   ('failed opens', c['s_failed'], c['i_failed'])):
                if s_n != i_n:
                    self.diffs.append(f'{self.show(key)}: {what}: strace {s_n}, iomon {i_n}')
            s_n, i_n = c['s_write'], c['i_write']
            if key in self.iomon_stdio_out:
                if i_n > s_n:
                    self.diffs.append(f'{self.show(key)}: written (stdio): strace {s_n}, '
                                      f'iomon {i_n}, more than the kernel wrote')
            elif s_n != i_n:
                self.diffs.append(f'{self.show(key)}: written: strace {s_n}, iomon {i_n}')
            s_n, i_n = c['s_read'], c['i_read']
            if key in self.iomon_stdio:
                if i_n > s_n:
                    self.diffs.append(f'{self.show(key)}: read (stdio): strace {s_n}, '
                                      f'iomon {i_n}, more than the kernel read')
            elif s_n != i_n:
                self.diffs.append(f'{self.show(key)}: read: strace {s_n}, iomon {i_n}')
        for (function, path, ok), n in sorted(self.internal.items()):
            domain, op = self.build.wrapped[function]
            got = self.iomon_calls[(domain, op, path, ok)]
            if got < n:
                self.diffs.append(f'{self.show(path)}: {n} {"" if ok else "failed "}opens made '
                                  f'inside {function}(), but {got} '
                                  f'{"" if ok else "failed "}{self.build.code_name(domain, op)} '
                                  'records name it')
        for path in sorted(self.strace_opened - self.iomon_named, key=self.show):
            self.diffs.append(f'{self.show(path)}: opened (strace), named by no iomon record')
        for path, reason in sorted(self.runtime_only.items()):
            if self.rows.get(path, {}).get('i_opens'):
                self.diffs.append(f'{self.show(path)}: iomon records opens of a file that rule '
                                  f'"{reason}" gives to the runtime')
        for functions, counter in sorted(self.missing.items()):
            for what, n in sorted(counter.items(), key=str):
                key, what = what
                what = {'read': 'bytes read', 'write': 'bytes written'}.get(what, what)
                self.diffs.append(f'MISSING {functions}: {n} {what} on {self.show(key)}; '
                                  'no domain table wraps it')

    def show(self, key):
        if key is None:
            return '(unnamed descriptor)'
        s = key
        for path, name in self.places:
            if s == path or s.startswith(path + '/'):
                s = name + s[len(path):]
        return repr(s) if re.search(r'[\s,"\\]|[^\x21-\x7e]', s) else s

    def report(self, out):
        w = max([len(self.show(k)) for k in self.rows] + [20])
        out.write(f'  {"strace/iomon":<{w}}  {"opens":>11}  {"failed opens":>12}  '
                  f'{"bytes read":>19}  {"bytes written":>19}\n')
        for key, c in sorted(self.rows.items(), key=lambda kv: self.show(kv[0])):
            stdio = ' (stdio: may be less)' if key in self.iomon_stdio_out else ''
            out.write(f'  {self.show(key):<{w}}  {c["s_opens"]:>5}/{c["i_opens"]:<5}  '
                      f'{c["s_failed"]:>5}/{c["i_failed"]:<6}  '
                      f'{c["s_read"]:>9}/{c["i_read"]:<9}  {c["s_write"]:>9}/{c["i_write"]:<9}'
                      f'{stdio}\n'.rstrip() + '\n')
        for (function, path, ok), n in sorted(self.internal.items()):
            domain, op = self.build.wrapped[function]
            got = self.iomon_calls[(domain, op, path, ok)]
            out.write(f'  {self.show(path)}: {n} {"" if ok else "failed "}opens inside '
                      f'{function}(); {got} {self.build.code_name(domain, op)} records\n')
        if self.excluded:
            out.write('  excluded from strace\'s side:\n')
            for reason, c in sorted(self.excluded.items()):
                what = ', '.join(f'{n} {k}' for k, n in sorted(c.items()))
                paths = sorted(self.show(p) for p in self.excluded_paths[reason])
                more = f' (+{len(paths) - 4} more)' if len(paths) > 4 else ''
                out.write(f'    {reason}: {what}: {", ".join(paths[:4])}{more}\n')
        out.write('  the library\'s own socket and /proc/self reads: not in strace\'s run; '
                  f'{self.library} iomon records on descriptors from {LIBRARY_FD_FLOOR} up\n')
        if self.not_io:
            what = ', '.join(f'{n} {k}' for k, n in sorted(self.not_io.items()))
            out.write(f'  iomon records not compared (not I/O): {what}\n')


# ------------------------------------------------------------- running

class Runner:
    def __init__(self, args):
        self.args = args
        self.base = os.path.realpath(tempfile.mkdtemp(prefix='iomon-xcheck-'))
        self.scratch = os.path.join(self.base, 's')
        self.env = {'PATH': '/usr/bin:/bin', 'LC_ALL': 'C.UTF-8',
                    'HOME': os.path.join(self.base, 'home')}
        # A sanitized build's runtime, preloaded so that the programs can
        # load the sanitized library (tests/meson.build), and its options:
        # for the runs under iomon only, the others need no runtime.
        self.iomon_env = dict(self.env, **{k: v for k, v in os.environ.items()
                                           if k == 'LD_PRELOAD' or k.endswith('SAN_OPTIONS')})
        os.mkdir(self.env['HOME'])
        os.mkdir(os.path.join(self.base, 'out'))

    def fresh_scratch(self, setup):
        if os.path.exists(self.scratch):
            shutil.rmtree(self.scratch)
        os.mkdir(self.scratch)
        commands = setup(self.scratch)
        settle(self.scratch)
        return commands

    def run(self, workload, index, argv, wrap, env=None):
        out = os.path.join(self.base, 'out', f'{workload}.{index}')
        with open(out + '.stdout', 'wb') as o, open(out + '.stderr', 'wb') as e:
            p = subprocess.run(wrap + argv, cwd=self.scratch, stdin=subprocess.DEVNULL,
                               stdout=o, stderr=e, env=env or self.env, timeout=120)
        if p.returncode != 0:
            with open(out + '.stderr', 'rb') as e:
                err = e.read().decode(errors='replace')
            raise Failure(f'{workload}: {" ".join(wrap + argv)} exited {p.returncode}:\n{err}')

    def workload(self, name, setup, build):
        """setup(scratch) fills a fresh scratch directory and returns the commands."""
        logs = os.path.join(self.base, 'logs', name)
        os.makedirs(logs)
        t0 = time.monotonic()
        commands = self.fresh_scratch(setup)
        for i, argv in enumerate(commands):
            prefix = os.path.join(logs, f'strace{i}')
            self.run(name, i, argv, [self.args.strace, '-ff', '-qq', '-yy', '-xx', '-s', '0',
                                     '-e', 'signal=none', '-e', 'trace=' + ','.join(TRACED),
                                     '-o', prefix, '--'])
        strace = StraceRun()
        for i in range(len(commands)):
            strace.read_logs(os.path.join(logs, f'strace{i}'))
        self.fresh_scratch(setup)
        iomon_records = []
        for i, argv in enumerate(commands):
            trace = os.path.join(logs, f'iomon{i}.csv')
            self.run(name, i, argv, [self.args.iomon, '-o', trace, '--'], self.iomon_env)
            iomon_records.append(IomonRun(trace, build))
        iomon = iomon_records[0]
        for more in iomon_records[1:]:
            iomon.records.extend(more.records)
        cmp = Comparison(strace, iomon, build, self.base, self.scratch)
        return cmp, commands, time.monotonic() - t0


# ------------------------------------------------------------- workloads

def data(seed, size):
    return random.Random(seed).randbytes(size)


def text(seed, lines):
    rnd = random.Random(seed)
    words = ['iomon', 'strace', 'record', 'file', 'byte', 'open', 'read', 'write', 'path']
    return ''.join(' '.join(rnd.choice(words) for _ in range(rnd.randint(3, 12))) + '\n'
                   for _ in range(lines)).encode()


def write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(content)


def settle(root):
    """One modification time for the whole tree: tar and gzip record it, and
    the size of what they write must not depend on when the run began."""
    for d, dirs, files in os.walk(root, topdown=False):
        for name in files + dirs:
            os.utime(os.path.join(d, name), (FIXED_TIME, FIXED_TIME))
    os.utime(root, (FIXED_TIME, FIXED_TIME))


def make_tree(root):
    """A small tree, with names that need CSV quoting and a byte that is not UTF-8."""
    write(os.path.join(root, 'README'), text(1, 40))
    write(os.path.join(root, 'src', 'main.c'), text(2, 200))
    write(os.path.join(root, 'src', 'blob.bin'), data(3, 70000))
    write(os.path.join(root, 'src', 'deep', 'er', 'leaf.txt'), text(4, 10))
    write(os.path.join(root, 'odd', 'comma, "quote"'), text(5, 5))
    write(os.path.join(root, 'odd', 'new\nline'), text(6, 5))
    write(os.fsdecode(os.path.join(os.fsencode(root), b'odd', b'latin1-\xe9')), text(7, 5))
    os.mkdir(os.path.join(root, 'empty'))


def cp_file(s, tools):
    """cp of a 1 MiB file."""
    write(os.path.join(s, 'big'), data(10, 1 << 20))
    return [['cp', 'big', 'big.copy']]


def cp_tree(s, tools):
    """cp -r of a directory tree."""
    make_tree(os.path.join(s, 'tree'))
    return [['cp', '-r', 'tree', 'tree.copy']]


def tar_gz(s, tools):
    """tar czf of a small tree, then tar xzf of the archive elsewhere."""
    make_tree(os.path.join(s, 'tree'))
    os.mkdir(os.path.join(s, 'out'))
    return [['tar', 'czf', 'tree.tgz', 'tree'], ['tar', 'xzf', 'tree.tgz', '-C', 'out']]


def gzip_gunzip(s, tools):
    """gzip -k of a file, then gunzip of the result (the original moved aside)."""
    write(os.path.join(s, 'words.txt'), text(20, 5000))
    return [['gzip', '-k', 'words.txt'], ['mv', 'words.txt', 'words.orig'],
            ['gunzip', 'words.txt.gz']]


def sqlite(s, tools):
    """sqlite3: a table, 1000 rows in ten transactions, and queries."""
    sql = ['CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v REAL);']
    for tx in range(10):
        sql.append('BEGIN;')
        sql += [f"INSERT INTO t (name, v) VALUES ('row {tx * 100 + i}', {(tx * 100 + i) * 0.5});"
                for i in range(100)]
        sql.append('COMMIT;')
    sql.append('SELECT count(*), sum(v) FROM t;')
    sql.append("SELECT id, name FROM t WHERE id % 100 = 0;")
    return [[tools.sqlite3, 'db.sqlite', '\n'.join(sql)]]


PYTHON_WORK = r'''
import os, shutil, socket, threading
with open('notes.txt', 'w') as f:
    for i in range(2000):
        f.write('note %d\n' % i)
with open('notes.txt') as f:
    lines = f.read().splitlines()
assert len(lines) == 2000
st = os.stat('notes.txt')
os.rename('notes.txt', 'notes.renamed')
names = sorted(os.listdir('.'))
shutil.copyfile('notes.renamed', 'notes.copy')
fd = os.open('blocks.bin', os.O_RDWR | os.O_CREAT, 0o644)
for i in range(8):
    os.pwrite(fd, bytes([i]) * 4096, i * 4096)
back = b''.join(os.pread(fd, 4096, i * 4096) for i in range(8))
os.close(fd)
assert len(back) == 32768

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(('127.0.0.1', 0))
server.listen(1)
def echo():
    conn, _ = server.accept()
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        conn.sendall(chunk)
    conn.close()
t = threading.Thread(target=echo)
t.start()
client = socket.create_connection(server.getsockname())
payload = bytes(range(256)) * 400
client.sendall(payload)
client.shutdown(socket.SHUT_WR)
got = b''
while True:
    chunk = client.recv(65536)
    if not chunk:
        break
    got += chunk
t.join()
client.close()
server.close()
assert got == payload
print(len(names), st.st_size, len(got))
'''


def python(s, tools):
    """python3: file work (open, write, read, stat, rename, listdir, copyfile,
    pread, pwrite) and a TCP echo on 127.0.0.1."""
    return [[tools.python3, '-I', '-B', '-c', PYTHON_WORK]]


def pipeline(s, tools):
    """A shell pipeline: cat | gzip | gunzip into a file, then wc."""
    write(os.path.join(s, 'f'), text(30, 3000))
    return [['sh', '-c', 'cat f | gzip -c | gzip -dc > g; wc -c g']]


WORKLOADS = [cp_file, cp_tree, tar_gz, gzip_gunzip, sqlite, python, pipeline]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    ap.add_argument('--iomon', required=True)
    ap.add_argument('--strace', default='')
    ap.add_argument('--sqlite3', default='')
    ap.add_argument('--man', required=True, help='the iomon.1 this build generated')
    ap.add_argument('--source', required=True, help='the source tree (domains/*.def, codes.h)')
    ap.add_argument('--only', action='append', help='run only this workload')
    ap.add_argument('--keep', action='store_true', help='keep the scratch directory and logs')
    args = ap.parse_args()
    # Debian's python3, not whichever one runs this script.
    args.python3 = shutil.which('python3', path='/usr/bin:/bin') or ''
    for tool in ('strace', 'sqlite3', 'python3'):
        if not getattr(args, tool):
            print(f'crosscheck: FAIL: {tool} not found: ./bootstrap installs it')
            return 1
    build = Build(args.man, args.source)
    runner = Runner(args)
    print(f'crosscheck: scratch {runner.scratch} ($S), standard output and error '
          f'in {runner.base}/out ($OUT); this build wraps '
          f'{len(build.wrapped)} functions; domain tables wrap {len(build.tabled)}')
    results = []
    try:
        for fn in WORKLOADS:
            if args.only and fn.__name__ not in args.only:
                continue
            cmp, commands, seconds = runner.workload(
                fn.__name__, lambda s, fn=fn: fn(s, args), build)
            print(f'\n== {fn.__name__}: {" ".join(fn.__doc__.split())} ({seconds:.1f} s)')
            for argv in commands:
                shown = ' '.join(a if len(a) < 60 else repr(a[:40] + '...') for a in argv)
                print(f'   $ {shown}')
            cmp.report(sys.stdout)
            for d in cmp.diffs:
                print(f'  DIFF {d}')
            results.append((fn.__name__, cmp))
    except Failure as e:
        print(f'crosscheck: FAIL: {e}')
        return 1
    finally:
        if args.keep:
            print(f'crosscheck: logs and traces kept in {runner.base}/logs')
        else:
            shutil.rmtree(runner.base, ignore_errors=True)
    print('\nsummary:')
    failed = 0
    for name, cmp in results:
        state = 'ok' if not cmp.diffs else f'FAIL ({len(cmp.diffs)} differences)'
        failed += bool(cmp.diffs)
        print(f'  {name:<12} {len(cmp.rows):>3} files compared  {state}')
    # Again here, where a log cut to its last lines still shows them.
    for name, cmp in results:
        for d in cmp.diffs:
            print(f'  {name}: DIFF {d}')
    print(f'crosscheck: {len(results) - failed} passed, {failed} failed')
    if failed and not args.keep:
        print('crosscheck: --keep keeps the strace logs and iomon traces')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
