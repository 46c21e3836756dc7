#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Writes the seed corpus of the argv fuzzer: real ipsecctl command lines, from

  - the man page (Documentation/ipsecctl.8): its example lines and the
    batches of its here-documents;
  - ipsecctl's usage text (the *_usage() functions of tools/ipsecctl/*.c),
    each line once with the fewest and once with the most arguments;
  - the selftests (selftests/*.sh): their ipsecctl commands, and those of
    spd.sh's ctl and pol wrappers, shell variables replaced by values of the
    kind their keyword takes;

  - the refusals that the man page documents and the global options in
    their combinations, which the sources above seldom or never show;

each as a seed of the format fuzz_argv.c reads (two bytes for the fake
kernel, then the arguments separated by NUL bytes), once with a kernel that
accepts everything and once with another behaviour; and each source's
commands together as one "-batch" seed.

    gen_seeds.py --top TOP --out DIR
"""

import argparse
import hashlib
import os
import re
import shlex
import sys

# The input's first two bytes (fake_nl.c): all well, then others in turn.
KERNEL_OK = b"\x00\x00"
KERNEL_VARIANTS = [
    b"\x01\x00",	# an error with a message, on the first request
    b"\x06\x00",	# an error without one, on the second
    b"\x63\x00",	# a short NLMSG_ERROR; warnings on success
    b"\x81\x80",	# uncapped ACKs quoting the request; split replies
    b"\x00\x01",	# the ipsecif module is not loaded
    b"\x00\x10",	# gets and dumps find nothing
    b"\x00\x60",	# other interface kinds; a noisy monitor socket
    b"\x23\x04",	# a failed recvfrom(); socket() fails
]

MAX_SEED = 4000		# libFuzzer runs with -max_len=4096
KEY20 = "0x6d1ce8a2f7b2bd3c41d3f5e9a8e7ab2c01020304"
KEY16 = "0x3b8f0a6c2d4e1f5a7b9c0d2e4f6a8b1c"
AEAD = ["aead", "rfc4106(gcm(aes))", KEY20, "128"]

# What a shell variable after each keyword stands for.
VALUE_AFTER = {
    "src": "192.0.2.1", "dst": "192.0.2.2",
    "local": "192.0.2.1", "remote": "192.0.2.2", "peer": "10.0.0.2",
    "spi": "0x1001", "dev": "ipsec0", "mode": "tunnel",
    "aead": "rfc4106(gcm(aes))", "enc": "cbc(aes)", "auth": "hmac(sha1)",
    "auth-trunc": "hmac(sha256)", "dir": "out", "action": "protect",
    "proto": "udp", "lport": "500", "rport": "4500", "type": "133",
    "code": "0", "priority": "100", "-batch": "-",
}


def troff_text(line):
    """A line of the man page as the reader sees it."""
    line = re.sub(r"\\f[BIRP]", "", line)
    line = line.replace("\\(aq", "'").replace("\\-", "-")
    line = line.replace("\\&", "").replace("\\e", "\\")
    return line


def split(text):
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return None


def from_man_page(path):
    """Example command lines, and the here-documents of -batch."""
    lines, batches = [], []
    in_example = False
    pending = ""
    heredoc = None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            if raw.startswith(".nf"):
                in_example = True
                continue
            if raw.startswith(".fi"):
                in_example = False
                continue
            if not in_example or raw.startswith("."):
                continue
            text = troff_text(raw)
            if heredoc is not None:
                if text.strip() == "EOF":
                    batches.append("\n".join(heredoc) + "\n")
                    heredoc = None
                else:
                    heredoc.append(text)
                continue
            text = pending + text.strip()
            if text.endswith("\\"):
                pending = text[:-1] + " "
                continue
            pending = ""
            if not text.startswith("ipsecctl "):
                continue
            if "<<EOF" in text:
                heredoc = []
            text = text.split("<<")[0].split("|")[0]
            args = split(text)
            if args:
                lines.append(args[1:])
    return lines, batches


def c_strings(body):
    """The concatenated string literals of a C function body."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', body)
    return "".join(parts).encode().decode("unicode_escape")


# What each placeholder of the usage text is given.
PLACEHOLDERS = {
    "NAME": "ipsec0", "ID": "1", "SPI": "0x1001", "ADDR": "192.0.2.1",
    "N": "100", "PORT": "4500", "ALG-NAME": "rfc4106(gcm(aes))",
    "ALG-KEY": KEY20, "ALG-ICV-LEN": "128", "ALG-TRUNC-LEN": "96",
    "CRYPTO": " ".join(AEAD), "ACTION": "bypass", "SELECTOR": "proto tcp",
    "LIMIT": "bytes", "PROTO": "tcp", "ADDRS": "10.0.0.0/8",
    "PORTS": "80-90", "OPTION": "ttl 64", "FILE": "-", "OPTIONS": "-j",
}


def first_choice(text):
    """{ a | b } and a|b: a."""
    text = re.sub(r"\{\s*([^{}|]*?)\s*(\|[^{}]*)?\}", r"\1", text)
    return re.sub(r"(\S+?)\|\S+", r"\1", text)


def instantiate(usage, keep_optional):
    text = usage
    while True:
        inner = re.sub(r"\[([^\[\]]*)\]",
                       (lambda m: m.group(1)) if keep_optional else "",
                       text)
        if inner == text:
            break
        text = inner
    text = first_choice(text).replace("...", "")
    words = [PLACEHOLDERS.get(w, w) for w in text.split()]
    return split(" ".join(words))


def from_usage(src_dir):
    lines = []
    for name in sorted(os.listdir(src_dir)):
        if not name.endswith(".c"):
            continue
        with open(os.path.join(src_dir, name), encoding="utf-8") as f:
            code = f.read()
        for m in re.finditer(r"static void \w*usage\(FILE \*out\)\n\{(.*?)\n\}",
                             code, re.S):
            for line in c_strings(m.group(1)).splitlines():
                line = line.strip()
                if line.startswith("Usage:"):
                    line = line[len("Usage:"):].strip()
                if not line.startswith("ipsecctl ") or "OBJECT" in line:
                    continue
                line = line[len("ipsecctl "):]
                for keep in (False, True):
                    args = instantiate(line, keep)
                    if args:
                        lines.append(args)
    return lines


class Script:
    """The ipsecctl command lines of a shell script, its variables and its
    wrapper functions (those that pass "$@" on to ipsecctl) resolved."""

    COMMAND_END = re.compile(r"\s(?:\|\|?|&&?|;|\d?>|<)|\)\s*$")

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            text = f.read().replace("\\\n", " ")
        text = re.sub(r"\$\(test_key (\d+)[^)]*\)",
                      lambda m: "0x" + "5a" * int(m.group(1)), text)
        text = re.sub(r"\$\(\([^)]*\)\)|\$\([^)]*\)", "1", text)
        self.lines = [l.strip() for l in text.splitlines()
                      if l.strip() and not l.strip().startswith("#")]
        self.arrays = {}
        for name, words in re.findall(r"\b(\w+)=\(([^)]*)\)", text):
            self.arrays[name] = split(words) or []
        self.scalars = {}
        for name, value in re.findall(
                r"(?:^|[\s;])(\w+)=(\"[^\"$`]*\"|'[^']*'|[^\s\"'$`();|&]+)(?=[\s;]|$)",
                text, re.M):
            self.scalars[name] = (split(value) or [""])[0]
        self.wrappers = {}
        self.find_wrappers()

    def functions(self):
        """(name, body lines) of each function."""
        name, body = None, []
        for line in self.lines:
            m = re.match(r"(\w+)\(\)\s*\{$", line)
            if m:
                name, body = m.group(1), []
            elif name and line == "}":
                yield name, body
                name = None
            elif name:
                body.append(line)

    def find_wrappers(self):
        functions = list(self.functions())
        found = True
        while found:
            found = False
            for name, body in functions:
                if name in self.wrappers:
                    continue
                for line in body:
                    call = self.call(line)
                    if not call or '"$@"' not in call[1]:
                        continue
                    words = split(call[1]) or []
                    if "$@" not in words:
                        continue
                    joined = " ".join(body)
                    shifts = sum(int(n or 1) for n in
                                 re.findall(r"\bshift(?:\s+(\d+))?", joined))
                    positional = dict(re.findall(
                        r"\b(\w+)=\"?\$\{?(\d)\}?\"?", joined))
                    self.wrappers[name] = (call[0], words[:words.index("$@")],
                                           positional, shifts)
                    found = True
                    break

    def call(self, line):
        """(command, arguments) of ipsecctl or a wrapper called in @line."""
        names = ["ipsecctl"] + list(self.wrappers)
        m = re.search(r"(?:^|[\s(;&|!])(%s)\s+(.*)" %
                      "|".join(map(re.escape, names)), line)
        if not m:
            return None
        return m.group(1), self.COMMAND_END.split(m.group(2))[0]

    def expand(self, command, words, depth=0):
        while command != "ipsecctl" and depth < 8:
            target, prefix, positional, shifts = self.wrappers[command]
            args = []
            for w in prefix:
                var = re.fullmatch(r"\$\{?(\w+)\}?", w)
                index = positional.get(var.group(1)) if var else None
                if index is not None:
                    i = int(index) - 1
                    args.append(words[i] if i < len(words) else "1")
                else:
                    args.append(w)
            command, words, depth = target, args + words[shifts:], depth + 1
        return words

    def value(self, token, prev):
        """A shell word with its variables replaced: zero or more words."""
        if re.fullmatch(r"\$\{?[@*#?]\}?", token):
            return []
        m = re.fullmatch(r"\$\{(\w+)\[@\](?:/([^/}]*)/([^}]*))?\}", token)
        if m:
            words = self.arrays.get(m.group(1))
            if words is None:
                return list(AEAD)
            if m.group(2):
                words = [w.replace(m.group(2), m.group(3)) for w in words]
            out = []
            for w in words:
                out += self.value(w, out[-1] if out else prev)
            return out
        if "$" not in token and "`" not in token:
            return [token]
        m = re.fullmatch(r"\$\{?(\w+)\}?", token)
        if m and m.group(1) in self.scalars and \
                "$" not in self.scalars[m.group(1)]:
            return [self.scalars[m.group(1)]]
        if prev in VALUE_AFTER:
            return [VALUE_AFTER[prev]]
        if "KEY" in token:
            return [KEY16]
        if re.search(r"GCM|ALG", token):
            return ["rfc4106(gcm(aes))"]
        return ["1"]

    def commands(self):
        lines = []
        for line in self.lines:
            if re.match(r"\w+\(\)", line):
                continue
            call = self.call(line)
            if not call:
                continue
            words = split(call[1])
            if words is None:
                continue
            args = []
            for w in self.expand(call[0], words):
                args += self.value(w, args[-1] if args else "")
            if args:
                lines.append(args)
        return lines


def from_selftests(path):
    return Script(path).commands()


def seed(header, args):
    return header + b"\0".join(a.encode() for a in args)


def batch_seeds(commands):
    """Batches of the commands' lines, each of up to MAX_SEED bytes."""
    text = ""
    for args in commands:
        if args and args[0].startswith("-"):
            continue
        line = shlex.join(args) + "\n"
        if len(text) + len(line) > MAX_SEED - 16:
            yield text
            text = ""
        text += line
    if text:
        yield text


# What the man page says ipsecctl refuses, and options the other sources
# leave out.
REFUSALS = [
    "policy add spd 1 priority 1 dir in action bypass type 8",
    "policy add spd 1 priority 1 dir in action bypass proto icmp type 8 lport 9",
    "policy add spd 1 priority 1 dir in action bypass proto icmp type 8-9 code 0",
    "policy add spd 1 priority -2147483648 dir out action discard local 10.0.0.0/33",
    "policy add spd 1 priority 1 dir out action discard local 10.0.0.1-2001:db8::1",
    "policy add spd 1 priority 1 dir out action discard remote 2001:db8::/129",
    "policy del spd 1 priority 2147483648 dir in",
    "policy del spd 1 priority 1 dir in proto 256 lport 1-65536",
    "sa update 1 encap none",
    "sa update 1 encap espinudp sport 4500",
    "sa add 1 spi 1 enc 'cbc(aes)' %s auth 'hmac(sha1)' ''" % ("k" * 513),
    "sa add 1 spi 1 aead 'rfc4106(gcm(aes))' 0x%s 128" % ("ab" * 513),
    "sa add 1 spi 1 aead 'rfc4106(gcm(aes))' 0x123 128",
    "sa add 1 spi 1 aead 'rfc4106(gcm(aes))' 0x12zz 128",
    "sa add 1 spi 1 aead %s 0x00 128" % ("a" * 128),
    "sa add 1 spi 1 aead 'rfc4106(gcm(aes))' 0x00 128 enc 'cbc(aes)' 0x00",
    "sa add 1 spi 1 src 192.0.2.1 aead 'rfc4106(gcm(aes))' 0x00 128",
    "sa add 1 spi 1 esn esn aead 'rfc4106(gcm(aes))' 0x00 128",
    "sa update 1 lifetime hard",
    "sa update 1 lifetime soft bytes 1 bytes 2",
    "sa update 1 lifetime soft packets 18446744073709551616",
    "sa update 1 bytes 1",
    "sa update 1 soft",
    "sa update 1 lifetime",
    "sa update 1 df-set df clear",
    "sa update 1 dscp 64",
    "sa update 1 ttl 256",
    "sa update 1 flowlabel copy flowlabel zero",
    "sa update 1 spi 2",
    "sa update 1",
    "protect set dev ipsec0 rx 1 2 3 4 5",
    "protect set dev a-name-far-too-long-for-ifnamsiz rx 1",
    "protect set dev '' tx 1",
    "protect set dev ipsec0 dev ipsec1",
    "protect del dev ipsec0 tx 1",
    "link add ipsec0 mode p2mp local 192.0.2.1",
    "link add ipsec0 local 192.0.2.1 remote 2001:db8::1",
    "link add ipsec0 table 4294967296",
    "link set ipsec0 mode p2p",
    "spd attach 1 dev",
    "spd attach 1 foo bar",
    "spd show 1 2",
    "-batch ''",
    "-batch - extra",
    "-b",
    "-x link show",
    "- link show",
    "-- link show",
    "help extra",
    "sa help extra",
    "monitor extra",
    "-V",
    "-Version link show",
]

# The global options, for each show and monitor.
OPTIONS = [["-j"], ["-j", "-p"], ["-s"], ["-j", "-s"], ["-p"],
           ["-json", "-pretty", "-stats"], ["--json", "--stats"]]

# A batch of blanks, quotes, comments and an unterminated quote.
BATCH = ("sa add 1 spi 1 enc 'ecb(cipher_null)' '' auth \"hmac(sha1)\" 0x00\n"
         "# a comment\n\n  \t spd   add 2 # another\n"
         "link show\nspd add 'unterminated\nspd add 3\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", required=True)
    parser.add_argument("--out", required=True)
    opts = parser.parse_args()

    sources = []
    man, man_batches = from_man_page(
        os.path.join(opts.top, "Documentation", "ipsecctl.8"))
    sources.append(man)
    sources.append(from_usage(os.path.join(opts.top, "tools", "ipsecctl")))
    sources.append([split(line) for line in REFUSALS])
    shows = [args for args in sources[1]
             if "show" in args or args == ["monitor"]]
    sources.append([options + args for args in shows for options in OPTIONS])
    tests = os.path.join(opts.top, "selftests")
    for name in sorted(os.listdir(tests)):
        if name.endswith(".sh"):
            sources.append(from_selftests(os.path.join(tests, name)))

    seeds = set()
    for i, commands in enumerate(sources):
        for j, args in enumerate(commands):
            seeds.add(seed(KERNEL_OK, args))
            variant = KERNEL_VARIANTS[(i + j) % len(KERNEL_VARIANTS)]
            seeds.add(seed(variant, args))
        for text in batch_seeds(commands):
            seeds.add(seed(KERNEL_OK, ["-batch", text]))
    for text in man_batches + [BATCH]:
        seeds.add(seed(KERNEL_OK, ["-batch", text]))
    seeds = {s for s in seeds if len(s) <= MAX_SEED}

    os.makedirs(opts.out, exist_ok=True)
    for s in seeds:
        name = hashlib.sha1(s).hexdigest()
        with open(os.path.join(opts.out, name), "wb") as f:
            f.write(s)
    print("%d seeds (%d command lines) in %s" %
          (len(seeds), sum(len(c) for c in sources), opts.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
