#!/usr/bin/python3
"""docs-commands.py DOC...: run every runjob command the documents show.

Run it in a git work tree that holds a copy of the project's examples/
and jobs/ (t0610 makes one), with runjob in PATH. A command is a line of
a code block (fenced, or indented by four spaces) that starts with
"runjob " or "$ runjob ". In a block of "$ " lines, the lines after a
command up to the next "$ " line are its shown output: the command's
output must be that, once run ids, times, durations, hashes, pids, the
user and the directory are made alike and runs of blanks squeezed. A
line "..." (or the mdoc "\\&...") stands for any number of lines. The
lines of a command that runs a job are compared in any order, as steps
of one wave start in any order. A command whose prose then quotes
`ok (...)` must print that. Each command must exit as CODES says (0
unless listed).

The commands are run in order, each document after the one before, in
one journal: the tour of README.md leaves the runs that
docs/reviewing-a-run.md reviews. BEFORE lists what runs (unshown)
before a command, as the reader would have done; SKIP lists the
commands not run, and why.

Prints one line a command; exits 1 when any drifted.
"""
import getpass
import os
import re
import shutil
import socket
import subprocess
import sys

# Not run: the command as shown (comment dropped) -> why.
SKIP = {
    "runjob schedule jobs/nightly-maintenance.yaml":
        "stays in the foreground until stopped (t1920 runs it)",
    "runjob schedule --systemd jobs/nightly-maintenance.yaml "
    ">/etc/systemd/system/runjob-schedule.service":
        "writes into /etc/systemd (t1920 checks the unit it prints)",
    "runjob plan deploy.yaml@v1.4":
        "names a job file and a tag of the reader's repository "
        "(t2020 plans and runs FILE@REV)",
    "runjob run deploy.yaml@v1.4":
        "names a job file and a tag of the reader's repository "
        "(t2020 plans and runs FILE@REV)",
    "runjob run --dry-run --env-file my.env jobs/redis-to-valkey.yaml":
        "needs the two live servers my.env names (t1840 dry-runs this job)",
    "runjob run --env-file my.env jobs/redis-to-valkey.yaml":
        "needs the two live servers my.env names (t1840 runs this job)",
    "runjob rollback jobs/redis-to-valkey.yaml":
        "needs a run of the job, which needs live servers (t1840)",
    "runjob rollback RUN":
        "needs a run of jobs/redis-to-valkey.yaml, which needs live "
        "servers (t1840)",
}

# Run first, unshown: "DOC: command" -> shell commands.
BEFORE = {
    # The history shows a run of continue after the tour's run of waves.
    "README.md: runjob history": ["runjob examples/continue.yaml >/dev/null 2>&1; "
                       "test $? = 1"],
    # The diff shows continue.yaml edited since its run.
    "README.md: runjob diff 20261122-000535-3dce3e examples/continue.yaml":
        ["sed -i 's/eu is unreachable/eu is down/' examples/continue.yaml"],
    # A night's run of the job, in its window, on the application the
    # test made (nightly.env names it).
    "README.md: runjob report --html -o review.html "
    "jobs/nightly-maintenance.yaml":
        ["RUNJOB_NOW=2026-12-01T02:30:00Z runjob run --env-file nightly.env "
         "jobs/nightly-maintenance.yaml >/dev/null 2>&1"],
}

# Not run unless the program is installed: the command -> the program.
NEEDS = {
    "runjob plan --json examples/waves.yaml | jq -r '.steps[].id'": "jq",
    "runjob plan --dot examples/waves.yaml | dot -Tsvg > waves.svg": "dot",
}

# Exit status other than 0: the command -> its status.
CODES = {
    "runjob check broken.yaml": 3,
    "runjob diff 20261122-000535-3dce3e examples/continue.yaml": 1,
    "runjob due --at 2026-12-26T02:00:00Z jobs/nightly-maintenance.yaml": 5,
    "runjob diff RUN_A RUN_B": 1,
    "runjob diff --env-file nightly.env RUN jobs/nightly-maintenance.yaml": 0,
}

# Run ids the documents show -> the job whose latest run stands for it.
RUN_IDS = {
    "20261122-000535-3dce3e": "continue",
    "20261122-000535-4df7f3": "waves",
}

RUN_ID = re.compile(r"\b\d{8}-\d{6}-[0-9a-f]{6}\b")
LIKE = [
    (RUN_ID, "RUN-ID"),
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), "TIME"),
    (re.compile(r"\b\d+(\.\d+)?(ms|s)\b|\b\d+m\d\ds\b|\b\d+h\d\dm\b"), "DUR"),
    (re.compile(r"\b[0-9a-f]{12}\+?(?![0-9a-f])"), "HEX"),
    (re.compile(r"\bpid \d+"), "pid N"),
    (re.compile(r"[ \t]+"), " "),
]


def blocks(path):
    """(line number, lines) of each code block of path, not yaml."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            lang = line[3:].strip()
            start = i + 1
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                i += 1
            if lang in ("", "sh", "console", "shell"):
                yield start + 1, lines[start:i]
            i += 1
            continue
        if line.startswith("    ") and (i == 0 or not lines[i - 1].strip()):
            start = i
            while i < len(lines) and (lines[i].startswith("    ") or
                                      not lines[i].strip()):
                i += 1
            body = [l[4:] for l in lines[start:i]]
            while body and not body[-1].strip():
                body.pop()
            yield start + 1, body
            continue
        i += 1


def prose_after(path, lineno):
    """The paragraph after the block that ends before lineno."""
    lines = open(path, encoding="utf-8").read().split("\n")[lineno - 1:]
    out = []
    for l in lines:
        if l.startswith("    ") or l.startswith("```"):
            if out:
                break
            continue
        if not l.strip():
            if out:
                break
            continue
        out.append(l)
    return " ".join(out)


def commands(path):
    """(line, command, shown output or None, ok-quote or None)."""
    for at, body in blocks(path):
        dollar = any(l.startswith("$ runjob ") for l in body)
        i = 0
        while i < len(body):
            l = body[i]
            if dollar and l.startswith("$ "):
                j = i + 1
                while j < len(body) and not body[j].startswith("$ "):
                    j += 1
                if l.startswith("$ runjob "):
                    shown = body[i + 1:j]
                    yield at + i, l[2:], shown or None, None
                i = j
                continue
            if not dollar and l.startswith("runjob "):
                cmd = re.sub(r"\s+#.*$", "", l).rstrip()
                quote = None
                if len(body) == 1:
                    m = re.search(r"`(ok \([^`]*\))`",
                                  prose_after(path, at + len(body)))
                    quote = m.group(1) if m else None
                yield at + i, cmd, None, quote
            i += 1


def alike(text, actual):
    if actual:
        text = text.replace(os.getcwd(), "/src/runjob")
        text = text.replace("%s@%s" % (getpass.getuser(),
                                       socket.gethostname()), "ops@db1")
    out = []
    for line in text.split("\n"):
        for pat, repl in LIKE:
            line = pat.sub(repl, line)
        out.append(line.rstrip())
    while out and not out[-1]:
        out.pop()
    return out


def matches(shown, got):
    """shown, with "..." lines for any lines, is got."""
    if not shown:
        return not got
    if shown[0] in ("...", "\\&..."):
        return any(matches(shown[1:], got[k:]) for k in range(len(got) + 1))
    return bool(got) and shown[0] == got[0] and matches(shown[1:], got[1:])


def runs_a_job(cmd):
    w = cmd.split()
    return w[1] == "run" or w[1].endswith((".yaml", ".yml"))


def sh(cmd):
    return subprocess.run(["sh", "-c", cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)


def latest(job=None, n=1):
    q = "select id from runs%s order by rowid desc limit %d" % (
        " where job = '%s'" % job if job else "", n)
    r = subprocess.run(["sqlite3", ".runjob/journal.db", q],
                       stdout=subprocess.PIPE, text=True)
    return r.stdout.split()


def word(name):
    return re.compile(r"(?<![\w-])%s(?![\w-])" % name)


def real(cmd):
    """cmd with the run ids and placeholders it shows made real."""
    for shown, job in RUN_IDS.items():
        if shown in cmd:
            cmd = cmd.replace(shown, latest(job)[0])
    if word("RUN_A").search(cmd):
        b, a = latest(n=2)
        cmd = word("RUN_B").sub(b, word("RUN_A").sub(a, cmd))
    if word("RUN").search(cmd):
        cmd = word("RUN").sub(latest()[0], cmd)
    if word("HASH").search(cmd):
        head = sh("runjob audit head").stdout.split()
        cmd = word("HASH").sub(head[0] if head else "", cmd)
    return cmd


def main(docs):
    drifted = 0
    for doc in docs:
        for at, cmd, shown, quote in commands(doc):
            where = "%s:%d: %s" % (os.path.basename(doc), at, cmd)
            if cmd in SKIP:
                print("skip %s  (%s)" % (where, SKIP[cmd]))
                continue
            if cmd in NEEDS and not shutil.which(NEEDS[cmd]):
                print("skip %s  (%s is not installed)" % (where, NEEDS[cmd]))
                continue
            for before in BEFORE.get("%s: %s" % (os.path.basename(doc),
                                                  cmd), []):
                r = sh(before)
                if r.returncode != 0:
                    print("FAIL %s: before it, '%s' exited %d:\n%s" %
                          (where, before, r.returncode, r.stdout))
                    drifted += 1
            r = sh(real(cmd))
            want = CODES.get(cmd, 0)
            bad = []
            if r.returncode != want:
                bad.append("exited %d, not %d" % (r.returncode, want))
            got = alike(r.stdout, True)
            if shown is not None:
                exp = alike("\n".join(shown), False)
                ok = (sorted(exp) == sorted(got) if runs_a_job(cmd) else
                      matches(exp, got))
                if not ok:
                    bad.append("its output is not what the document shows")
            if quote and not any(quote in l for l in r.stdout.split("\n")):
                bad.append("it does not print `%s`, as the document says"
                           % quote)
            if bad:
                drifted += 1
                print("FAIL %s: %s" % (where, "; ".join(bad)))
                if shown is not None:
                    print("  shown:\n    " + "\n    ".join(
                        alike("\n".join(shown), False)))
                print("  printed:\n    " + "\n    ".join(got))
            else:
                print("ok   %s" % where)
    return 1 if drifted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
