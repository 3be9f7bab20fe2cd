#!/usr/bin/env python3
"""Crash injection sweep for one git-pantheon operation (used by t-crash.sh).

usage: crash_sweep.py OPERATION

The operation runs once with GP_FAULT_TRACE to count its fault points (see
lib/util/fault.hpp; the program must be a GP_FAULT_INJECTION build), then, for
each point (an even sample of GP_CRASH_SAMPLE points, default 5, plus the
REGRESSIONS points; every point
with GP_CRASH_ALL=1), from a fresh copy of the same starting state:
  1. it runs with GP_FAULT_KILL_AT=k, so it SIGKILLs itself at the k-th point,
     and waits until every child it left (mysql, psql, git) has exited;
  2. the invariants are checked: git fsck is clean; `backup verify --all` passes;
     the store's archives/ holds only archives whose size and sha256 match a tag's
     manifest, or complete archives named in a pending/ journal (untagged, removed
     by the next writer); every element of the target is wholly the old state or
     wholly the new one (files: names, types, modes, link targets, contents; SQLite
     via sqlite3, MariaDB via mariadb, PostgreSQL via psql); a git remote's backup
     tags have their archives, complete, in its storage;
  3. the same command runs again without the kill: it must succeed and leave the
     new state, git fsck and `backup verify --all` clean, and nothing behind
     (store tmp/ and pending/ empty, no temporary directories or files beside the
     files directory or the SQLite file, no scratch databases).
It prints "<operation>: kill points survived/tried: X/Y" and exits 1 when any
point broke an invariant (each failure is described on stderr).

The operations: backup-sqlite, backup-mariadb, restore-sqlite, restore-mariadb,
restore-postgres, import-site, push-file, push-s3. Server connection details come
from $GP_SERVERS/<mariadb|postgres|s3>/env.
"""
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import time
import tomllib

OP = sys.argv[1]
BASE = os.path.abspath(os.environ.get("GP_CRASH_DIR", os.getcwd()))
TPL = os.path.join(BASE, "tpl")   # the starting state, copied for every run
RUN = os.path.join(BASE, "run")   # where each run happens (always this path)
SITE = os.path.join(RUN, "site")
PASSWORD = "Crash-Pw-7"
REGENERABLE = {"styles", "css", "js"}  # left out of files archives, never compared
VERBOSE = os.environ.get("GP_CRASH_VERBOSE") == "1"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def server_env(name):
    out = {}
    path = os.path.join(os.environ["GP_SERVERS"], name, "env")
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.strip().split("=", 1)
                out[k] = v.strip("'\"")
    return out


def sh(args, cwd=None, env=None, check=True, input=None):
    r = subprocess.run(args, cwd=cwd, env=env, input=input, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {r.returncode}: {r.stderr.strip()}")
    return r


BASE_ENV = dict(os.environ, GIT_PANTHEON_DB_PASSWORD=PASSWORD, GIT_PANTHEON_LOCK_WAIT="10")
for v in ("GP_FAULT_KILL_AT", "GP_FAULT_TRACE", "GP_FAULT_FILTER"):
    BASE_ENV.pop(v, None)


def gp(*args, check=True, cwd=None):
    return sh(["git", "pantheon", *args], cwd=cwd or SITE, env=BASE_ENV, check=check)


def git(*args, cwd=None, check=True):
    return sh(["git", *args], cwd=cwd or SITE, env=BASE_ENV, check=check)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- states

def files_state(root, skip=()):
    """Names, types, modes, link targets and contents of a tree, or 'absent'."""
    if not os.path.lexists(root):
        return "absent"
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in REGENERABLE]
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if any(rel.startswith(prefix) for prefix in skip):
                continue
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                h.update(f"L {rel} {os.readlink(p)}\n".encode())
            elif stat.S_ISDIR(st.st_mode):
                h.update(f"D {rel} {stat.S_IMODE(st.st_mode):o}\n".encode())
            else:
                h.update(f"F {rel} {stat.S_IMODE(st.st_mode):o} {sha256_file(p)}\n".encode())
    return h.hexdigest()[:16]


def sqlite_state(path):
    if not os.path.exists(path):
        return "absent"
    r = sh(["sqlite3", "-readonly", path, ".dump"])
    return hashlib.sha256(r.stdout.encode()).hexdigest()[:16]


MY = None  # mariadb server env
PG = None  # postgres server env


def my(sql, db=""):
    args = ["mariadb", "--no-defaults", "--default-character-set=utf8mb4", "-uroot",
            f"--socket={MY['MARIADB_SOCKET']}", "--batch", "--skip-column-names"]
    if db:
        args.append(db)
    return sh(args, input=sql).stdout


def my_state(db):
    tables = my(f"SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA='{db}' ORDER BY 1")
    out = tables
    for line in tables.splitlines():
        name, kind = line.split("\t")
        out += my(f"SELECT * FROM `{name}` ORDER BY 1;", db)
    out += my(f"SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='{db}' ORDER BY 1")
    return hashlib.sha256(out.encode()).hexdigest()[:16]


def pg(sql, db="postgres"):
    args = ["psql", "-X", "-q", "-At", "-h", PG["PG_SOCKET_DIR"], "-p", PG["PG_PORT"], "-U", PG["PG_SUPERUSER"],
            "-v", "ON_ERROR_STOP=1", "-d", db]
    return sh(args, input=sql).stdout


def pg_state(db):
    tables = pg("SELECT table_name, table_type FROM information_schema.tables WHERE table_schema='public' ORDER BY 1;", db)
    out = tables
    for line in tables.splitlines():
        name = line.split("|")[0]
        out += pg(f'SELECT * FROM "{name}" ORDER BY 1;', db)
    return hashlib.sha256(out.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- runs

def session_alive(sid):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                return True
        except (OSError, IndexError, ValueError):
            pass
    return False


def run_cmd(args, kill_at=None, trace=None):
    """Runs git pantheon in its own session; returns (returncode, stderr)."""
    env = dict(BASE_ENV)
    if kill_at is not None:
        env["GP_FAULT_KILL_AT"] = str(kill_at)
    if trace is not None:
        env["GP_FAULT_TRACE"] = trace
    p = subprocess.Popen(["git", "pantheon", *args], cwd=SITE, env=env, start_new_session=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = p.communicate(timeout=300)
    # Children the kill orphaned (mysql, psql) finish what they were given first.
    deadline = time.time() + 60
    while session_alive(p.pid) and time.time() < deadline:
        time.sleep(0.05)
    return p.returncode, err


def reset_run():
    if os.path.exists(RUN):
        subprocess.run(["chmod", "-R", "u+w", RUN], capture_output=True)
        shutil.rmtree(RUN)
    sh(["cp", "-a", TPL, RUN])


# ---------------------------------------------------------------- store checks

def backup_tags(repo):
    r = sh(["git", "for-each-ref", "--format=%(refname:short)", "refs/tags/pantheon/backup/"], cwd=repo)
    return [t for t in r.stdout.split() if t]


def manifest(repo, tag):
    body = sh(["git", "cat-file", "tag", tag], cwd=repo).stdout
    return tomllib.loads(body.split("\n\n", 2)[2])


def check_store(problems):
    store = os.path.join(SITE, ".git", "pantheon")
    archives = os.path.join(store, "archives")
    referenced = {}
    for tag in backup_tags(SITE):
        for a in manifest(SITE, tag).get("archive", []):
            referenced[a["file"]] = a
    journaled = set()
    pending = os.path.join(store, "pending")
    if os.path.isdir(pending):
        for j in os.listdir(pending):
            with open(os.path.join(pending, j)) as f:
                journaled.update(line.strip() for line in f.readlines()[1:])
    names = sorted(os.listdir(archives)) if os.path.isdir(archives) else []
    for name in names:
        p = os.path.join(archives, name)
        if name in referenced:
            a = referenced[name]
            if os.path.getsize(p) != a["size"] or sha256_file(p) != a["sha256"]:
                problems.append(f"archive {name} does not match its manifest")
        elif name in journaled:
            if sh(["gzip", "-t", p], check=False).returncode != 0:
                problems.append(f"untagged archive {name} (in a journal) is not a complete gzip file")
        else:
            problems.append(f"archive {name} is neither in a manifest nor in a pending journal")
    for f in referenced:
        if f not in names:
            problems.append(f"a tag's archive {f} is missing from the store")


def check_repo(problems, when):
    r = git("fsck", "--no-progress", check=False)
    if r.returncode != 0 or "error" in r.stderr or "missing" in r.stdout:
        problems.append(f"git fsck {when}: {r.stdout.strip()} {r.stderr.strip()}")
    r = gp("backup", "verify", "--all", check=False)
    if r.returncode != 0:
        problems.append(f"backup verify --all {when}: {r.stderr.strip()}")
    check_store(problems)


def check_no_leftovers(problems, extra_dirs=()):
    store = os.path.join(SITE, ".git", "pantheon")
    for d in ("tmp", "pending"):
        p = os.path.join(store, d)
        if os.path.isdir(p) and os.listdir(p):
            problems.append(f"left in the store's {d}/: {os.listdir(p)}")
    # Old files trees go to trash/ and are removed in the background.
    trash = os.path.join(store, "trash")
    for _ in range(100):
        if not (os.path.isdir(trash) and os.listdir(trash)):
            break
        time.sleep(0.1)
    else:
        problems.append(f"left in the store's trash/: {os.listdir(trash)}")
    for d in extra_dirs:
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            if ".gp-new-" in name or ".gp-old-" in name or ".gp-restore-" in name or ".tmp-" in name:
                problems.append(f"left behind: {os.path.join(d, name)}")


# ---------------------------------------------------------------- operations

def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


def make_files(root, seed, n=24):
    """A files tree: text, incompressible data (a few MiB, so archives take
    several chunks), a symlink, modes, regenerable folders, an empty folder."""
    os.makedirs(os.path.join(root, "inline-images"), exist_ok=True)
    os.makedirs(os.path.join(root, "styles", "thumbnail"), exist_ok=True)
    os.makedirs(os.path.join(root, "private"), exist_ok=True)
    os.makedirs(os.path.join(root, "empty"), exist_ok=True)
    rnd = hashlib.sha256(seed.encode()).digest()
    for i in range(n):
        data = hashlib.shake_256(rnd + bytes([i])).digest(96 * 1024)
        write(os.path.join(root, "inline-images", f"image-{i}.png"), data, "wb")
    write(os.path.join(root, "private", "report.txt"), f"report {seed}\n")
    os.chmod(os.path.join(root, "private", "report.txt"), 0o600)
    write(os.path.join(root, "styles", "thumbnail", "t.png"), "regenerable\n")
    os.symlink("inline-images/image-1.png", os.path.join(root, "latest.png"))


def make_sqlite(path, seed, rows=6000):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sql = ["CREATE TABLE node (nid INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT);",
           "CREATE INDEX node_title ON node(title);", "CREATE VIEW recent AS SELECT nid, title FROM node;", "BEGIN;"]
    for i in range(1, rows + 1):
        sql.append(f"INSERT INTO node VALUES ({i}, 'Article {i} {seed}', '{'body ' * 30}');")
    sql.append("COMMIT;")
    sh(["sqlite3", path], input="\n".join(sql))


def init_site(config_extra, with_files=True, seed="old"):
    os.makedirs(TPL)
    site = os.path.join(TPL, "site")
    os.makedirs(site)
    sh(["git", "init", "-q", "-b", "main", site])
    write(os.path.join(site, "index.php"), "<?php // site\n")
    write(os.path.join(site, ".gitignore"), "files/\n*.sqlite\n")
    write(os.path.join(site, ".pantheon.toml"), 'site = "crash"\n' + config_extra)
    if with_files:
        make_files(os.path.join(site, "files"), seed)
    git("add", "-A", cwd=site)
    git("commit", "-q", "-m", "site", cwd=site)
    return site


class Operation:
    cmd = []
    elements = {}           # name -> function returning the state of that element (run from RUN)
    leftover_dirs = ()

    def setup(self):
        raise NotImplementedError

    def reset_external(self):
        """Puts servers back in the starting state (the copy of TPL does the rest)."""

    def state(self):
        return {name: f() for name, f in self.elements.items()}

    def extra_checks(self, problems, when):
        pass

    def after_rerun(self, problems):
        check_no_leftovers(problems, [os.path.join(SITE, d) for d in self.leftover_dirs])


SQLITE_CFG = '[env.dev]\ndatabase = "sqlite:files/.ht.sqlite"\nfiles = "files"\n'
# The SQLite file inside the files directory is the database element, not files
# (its -wal/-shm/-journal and the loader's temporary file included).
DB_SKIP = (".ht.sqlite",)


class BackupSqlite(Operation):
    cmd = ["backup", "create", "-q"]

    def setup(self):
        site = init_site(SQLITE_CFG)
        make_sqlite(os.path.join(site, "files", ".ht.sqlite"), "old")
        self.elements = {"tags": lambda: len(backup_tags(SITE))}

    def extra_checks(self, problems, when):
        n = len(backup_tags(SITE))
        if when == "after the kill" and n not in (0, 1):
            problems.append(f"{n} backup tags after one killed backup")
        if when == "after the rerun" and n not in (1, 2):
            problems.append(f"{n} backup tags after the rerun")

    def after_rerun(self, problems):
        super().after_rerun(problems)
        # The store holds exactly what the tags name: the journal's orphans are gone.
        store = os.path.join(SITE, ".git", "pantheon", "archives")
        referenced = {a["file"] for t in backup_tags(SITE) for a in manifest(SITE, t).get("archive", [])}
        extra = set(os.listdir(store)) - referenced
        if extra:
            problems.append(f"untagged archives after the rerun: {sorted(extra)}")


class BackupMariadb(BackupSqlite):
    def reset_external(self):
        my_reset("crash_bk", os.path.join(BASE, "crash_bk.sql"))

    def setup(self):
        global MY
        MY = server_env("mariadb")
        make_my_db("crash_bk", "old", 12000)
        my_dump("crash_bk", os.path.join(BASE, "crash_bk.sql"))
        init_site(f'[env.dev]\ndatabase = "mysql://u_crash@127.0.0.1:{MY["MARIADB_PORT"]}/crash_bk"\nfiles = "files"\n')
        self.elements = {"tags": lambda: len(backup_tags(SITE))}


def make_my_db(db, seed, rows):
    my(f"""DROP DATABASE IF EXISTS {db};
CREATE DATABASE {db} CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'u_crash'@'%' IDENTIFIED BY '{PASSWORD}';
GRANT ALL ON `{db}`.* TO 'u_crash'@'%';
GRANT ALL ON `{db}\\_\\_gp%`.* TO 'u_crash'@'%';
GRANT CREATE, DROP, PROCESS, RELOAD ON *.* TO 'u_crash'@'%';
USE {db};
SET SESSION max_recursive_iterations = 1000000;
CREATE TABLE posts (id INT PRIMARY KEY, title TEXT, body TEXT);
CREATE TABLE log (id INT AUTO_INCREMENT PRIMARY KEY, note TEXT);
CREATE VIEW titles AS SELECT title FROM posts;
CREATE TRIGGER posts_ai AFTER INSERT ON posts FOR EACH ROW INSERT INTO log (note) VALUES (NEW.title);
INSERT INTO posts (id, title, body)
  WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {rows})
  SELECT n, CONCAT('post ', n, ' {seed}'), REPEAT('body {seed} ', 20) FROM seq;
""")


def my_dump(db, path):
    args = ["mariadb-dump", "--no-defaults", "-uroot", f"--socket={MY['MARIADB_SOCKET']}", "--routines", "--triggers",
            "--skip-dump-date", db]
    with open(path, "w") as f:
        subprocess.run(args, stdout=f, check=True)


def my_reset(db, path):
    my(f"DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db} CHARACTER SET utf8mb4;")
    with open(path) as f:
        subprocess.run(["mariadb", "--no-defaults", "-uroot", f"--socket={MY['MARIADB_SOCKET']}", db], stdin=f,
                       check=True)
    for leftover in my(f"SHOW DATABASES LIKE '{db}\\_\\_gp%'").split():
        my(f"DROP DATABASE `{leftover}`")


def make_backup_then_change(site, change):
    """Backs the site up (the backup to restore), then changes it (the old state)."""
    gp("backup", "create", "-q", cwd=site)
    change(site)
    return backup_tags(site)[0]


class RestoreSqlite(Operation):
    leftover_dirs = (".", "files")

    def setup(self):
        site = init_site(SQLITE_CFG, seed="backup")
        make_sqlite(os.path.join(site, "files", ".ht.sqlite"), "backup")

        def change(s):
            shutil.rmtree(os.path.join(s, "files"))
            make_files(os.path.join(s, "files"), "old", n=20)
            make_sqlite(os.path.join(s, "files", ".ht.sqlite"), "old", rows=5000)
            os.chmod(os.path.join(s, "files", "inline-images", "image-3.png"), 0o640)
        tag = make_backup_then_change(site, change)
        self.cmd = ["restore", tag, "--yes", "-q", "--element", "db", "--element", "files"]
        self.elements = {"files": lambda: files_state(os.path.join(SITE, "files"), DB_SKIP),
                         "database": lambda: sqlite_state(os.path.join(SITE, "files", ".ht.sqlite"))}


class RestoreMariadb(Operation):
    def setup(self):
        global MY
        MY = server_env("mariadb")
        make_my_db("crash_rs", "backup", 12000)
        site = init_site(f'[env.dev]\ndatabase = "mysql://u_crash@127.0.0.1:{MY["MARIADB_PORT"]}/crash_rs"\n'
                         'files = "files"\n')

        def change(s):
            make_my_db("crash_rs", "old", 10000)
        tag = make_backup_then_change(site, change)
        my_dump("crash_rs", os.path.join(BASE, "crash_rs.sql"))
        self.cmd = ["restore", tag, "--yes", "-q", "--element", "db"]
        self.elements = {"database": lambda: my_state("crash_rs")}

    def reset_external(self):
        my_reset("crash_rs", os.path.join(BASE, "crash_rs.sql"))

    def after_rerun(self, problems):
        super().after_rerun(problems)
        left = my("SHOW DATABASES LIKE 'crash\\_rs\\_\\_gp%'").split()
        if left:
            problems.append(f"scratch databases left: {left}")
        old = my("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'crash_rs' "
                 "AND TABLE_NAME LIKE '\\_\\_gp\\_old\\_%'").split()
        if old:
            problems.append(f"previous tables left: {old}")


def make_pg_db(db, seed, rows):
    pg(f"DROP DATABASE IF EXISTS {db} WITH (FORCE);")
    pg(f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='u_crash') THEN "
       f"CREATE ROLE u_crash LOGIN PASSWORD '{PASSWORD}'; END IF; END$$;")
    pg(f"CREATE DATABASE {db} OWNER u_crash;")
    sql = f"""SET ROLE u_crash;
CREATE TABLE node (nid int PRIMARY KEY, title text NOT NULL, body text);
CREATE VIEW titles AS SELECT title FROM node;
INSERT INTO node SELECT n, 'node ' || n || ' {seed}', repeat('body {seed} ', 20) FROM generate_series(1, {rows}) n;
"""
    pg(sql, db)


class RestorePostgres(Operation):
    def setup(self):
        global PG
        PG = server_env("postgres")
        make_pg_db("crash_pg", "backup", 12000)
        site = init_site(f'[env.dev]\ndatabase = "postgres://u_crash@127.0.0.1:{PG["PG_PORT"]}/crash_pg"\n'
                         'files = "files"\n')

        def change(s):
            make_pg_db("crash_pg", "old", 10000)
        tag = make_backup_then_change(site, change)
        pg("DROP DATABASE IF EXISTS crash_pg_tpl WITH (FORCE); CREATE DATABASE crash_pg_tpl TEMPLATE crash_pg;")
        self.cmd = ["restore", tag, "--yes", "-q", "--element", "db"]
        self.elements = {"database": lambda: pg_state("crash_pg")}

    def reset_external(self):
        pg("DROP DATABASE IF EXISTS crash_pg WITH (FORCE);")
        pg("CREATE DATABASE crash_pg TEMPLATE crash_pg_tpl OWNER u_crash;")


class ImportSite(Operation):
    leftover_dirs = (".", "files")

    def setup(self):
        # The site to import: another site's Pantheon backup (three archives).
        other = os.path.join(BASE, "other")
        os.makedirs(other)
        sh(["git", "init", "-q", "-b", "main", other])
        write(os.path.join(other, "index.php"), "<?php // the imported site\n")
        write(os.path.join(other, "core", "lib.php"), "<?php // core\n")
        write(os.path.join(other, ".gitignore"), "files/\n*.sqlite\n")
        # Not committed: the imported code carries the site's own .pantheon.toml over.
        write(os.path.join(other, ".pantheon.toml"), 'site = "other"\n' + SQLITE_CFG)
        write(os.path.join(other, ".git", "info", "exclude"), ".pantheon.toml\n")
        make_files(os.path.join(other, "files"), "imported")
        make_sqlite(os.path.join(other, "files", ".ht.sqlite"), "imported")
        git("add", "-A", cwd=other)
        git("commit", "-q", "-m", "other", cwd=other)
        gp("backup", "create", "-q", cwd=other)
        parts = os.path.join(BASE, "parts")
        os.makedirs(parts)
        for name in os.listdir(os.path.join(other, ".git", "pantheon", "archives")):
            shutil.copy(os.path.join(other, ".git", "pantheon", "archives", name), parts)
        site = init_site(SQLITE_CFG, seed="old")
        make_sqlite(os.path.join(site, "files", ".ht.sqlite"), "old")
        self.cmd = ["import", "site", parts, "--yes", "-q"]
        self.elements = {"code": code_state,
                         "files": lambda: files_state(os.path.join(SITE, "files"), DB_SKIP),
                         "database": lambda: sqlite_state(os.path.join(SITE, "files", ".ht.sqlite"))}


def code_state():
    """HEAD's tree, and whether the index or tracked files differ from it. A kill
    between the checkout and the branch update leaves the branch at the old commit
    under (some of) the new files: not atomic, but resumable, which the head-move
    journal (lib/import/tree.hpp) records; the next import finishes the move."""
    s = git("rev-parse", "HEAD^{tree}").stdout.strip()
    if git("status", "--porcelain", "--untracked-files=no").stdout.strip():
        journal = os.path.exists(os.path.join(SITE, ".git", "pantheon", "head-move"))
        s += " checkout under way (journal)" if journal else " dirty"
    return s


class Push(Operation):
    def setup_site(self, storage_toml):
        site = init_site(SQLITE_CFG + storage_toml)
        make_sqlite(os.path.join(site, "files", ".ht.sqlite"), "old")
        sh(["git", "init", "-q", "--bare", os.path.join(TPL, "remote.git")])
        git("remote", "add", "origin", "../remote.git", cwd=site)
        gp("backup", "create", "-q", cwd=site)
        make_sqlite(os.path.join(site, "files", ".ht.sqlite2"), "more")
        time.sleep(1.1)
        gp("backup", "create", "-q", "--element", "files", cwd=site)
        self.cmd = ["push", "-q"]
        self.elements = {"remote tags": lambda: ",".join(backup_tags(os.path.join(RUN, "remote.git")))}

    def stored(self):
        """file name -> sha256 of what the storage holds."""
        raise NotImplementedError

    def extra_checks(self, problems, when):
        local = {}
        for tag in backup_tags(SITE):
            for a in manifest(SITE, tag).get("archive", []):
                local[a["file"]] = a["sha256"]
        stored = self.stored()
        for name, sha in stored.items():
            if local.get(name) != sha:
                problems.append(f"{when}: the storage holds an incomplete or foreign object {name}")
        remote = os.path.join(RUN, "remote.git")
        for tag in backup_tags(remote):
            for a in manifest(remote, tag).get("archive", []):
                if stored.get(a["file"]) != a["sha256"]:
                    problems.append(f"{when}: remote tag {tag} reached the git remote without its archive {a['file']}")
        r = sh(["git", "fsck", "--no-progress"], cwd=remote, check=False)
        if r.returncode != 0:
            problems.append(f"git fsck of the remote {when}: {r.stderr.strip()}")


class PushFile(Push):
    def setup(self):
        self.setup_site(f'[storage.origin]\nurl = "file://{RUN}/storage"\n')

    def stored(self):
        root = os.path.join(RUN, "storage")
        out = {}
        for dirpath, dirnames, filenames in os.walk(root):
            if ".gp-tmp" in dirnames:
                dirnames.remove(".gp-tmp")
            for f in filenames:
                out[f] = sha256_file(os.path.join(dirpath, f))
        return out


class PushS3(Push):
    def setup(self):
        s3 = server_env("s3")
        self.endpoint = s3["S3_ENDPOINT"]
        BASE_ENV.update(AWS_ACCESS_KEY_ID=s3["S3_ACCESS_KEY"], AWS_SECRET_ACCESS_KEY=s3["S3_SECRET_KEY"],
                        AWS_REGION="us-east-1")
        self.bucket = f"gp-crash-{os.getpid()}"
        self.s3 = s3_client(s3)
        self.s3.create_bucket(Bucket=self.bucket)
        self.setup_site(f'[storage.origin]\nurl = "s3://{self.bucket}/site"\nendpoint = "{self.endpoint}"\n')

    def reset_external(self):
        for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", []):
            self.s3.delete_object(Bucket=self.bucket, Key=o["Key"])

    def stored(self):
        out = {}
        for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", []):
            body = self.s3.get_object(Bucket=self.bucket, Key=o["Key"])["Body"].read()
            out[o["Key"].rsplit("/", 1)[-1]] = hashlib.sha256(body).hexdigest()
        return out


def s3_client(s3):
    """boto3 (moto's own Python has it): an S3 client independent of ours."""
    try:
        import boto3
    except ImportError:
        sys.path.extend(sh(["/root/.pyenv/shims/python3", "-c", "import sys; print('\\n'.join(sys.path))"])
                        .stdout.split())
        import boto3
    return boto3.client("s3", endpoint_url=s3["S3_ENDPOINT"], aws_access_key_id=s3["S3_ACCESS_KEY"],
                        aws_secret_access_key=s3["S3_SECRET_KEY"], region_name="us-east-1")


OPERATIONS = {
    "backup-sqlite": BackupSqlite, "backup-mariadb": BackupMariadb, "restore-sqlite": RestoreSqlite,
    "restore-mariadb": RestoreMariadb, "restore-postgres": RestorePostgres, "import-site": ImportSite,
    "push-file": PushFile, "push-s3": PushS3,
}


# Points every sampled run tries (their first occurrence): the moments that matter
# most, and those where the sweep found bugs,
# so that they stay covered however the sample falls.
REGRESSIONS = {
    "restore-sqlite": ["restore.files.swap.before", "restore.files.swap.after", "db.sqlite.statements",
                       "restore.files.remove-old.before"],
    "restore-mariadb": ["db.mysql.chunk", "db.mysql.swap.after"],
    "import-site": ["import.checkout.after", "restore.files.entry", "db.sqlite.rename.before"],
    "push-file": ["storage.file.chunk", "push.tags.before"],
    "push-s3": ["push.tags.before"],
    "backup-sqlite": ["backup.archive.published", "backup.tag.before"],
}


def sample(points, want):
    n = len(points)
    if os.environ.get("GP_CRASH_ALL") == "1" or n <= want:
        return list(range(1, n + 1))
    # An even spread that always includes the first and the last point.
    picked = {round(1 + i * (n - 1) / (want - 1)) for i in range(want)}
    for name in REGRESSIONS.get(OP, []):
        if name in points:
            picked.add(points.index(name) + 1)
    return sorted(picked)


def main():
    op = OPERATIONS[OP]()
    os.makedirs(BASE, exist_ok=True)
    if os.path.exists(TPL):
        shutil.rmtree(TPL)
    # Setup writes into TPL through SITE-relative helpers: point SITE at it meanwhile.
    global SITE
    op.setup()
    SITE = os.path.join(RUN, "site")

    # The clean run: the new state and the fault points.
    reset_run()
    op.reset_external()
    old = op.state()
    trace = os.path.join(BASE, "trace")
    if os.path.exists(trace):
        os.remove(trace)
    rc, err = run_cmd(op.cmd, trace=trace)
    if rc != 0:
        log(f"{OP}: the clean run failed ({rc}): {err}")
        return 1
    new = op.state()
    with open(trace) as f:
        points = [line.split(" ", 1)[1].strip() for line in f]
    if not points:
        log(f"{OP}: no fault point was hit: git-pantheon was not built with -DGP_FAULT_INJECTION=ON")
        return 1
    for name in op.elements:
        if OP.startswith("backup"):
            break
        if old[name] == new[name]:
            log(f"{OP}: the operation does not change '{name}': the test would prove nothing")
            return 1
    tried = survived = 0
    for k in sample(points, int(os.environ.get("GP_CRASH_SAMPLE", "5"))):
        reset_run()
        op.reset_external()
        problems = []
        rc, err = run_cmd(op.cmd, kill_at=k)
        where = f"point {k}/{len(points)} ({points[k - 1]})"
        # git runs git-pantheon and reports its death by signal 9 as exit 137.
        if rc not in (-9, 137):
            problems.append(f"not killed (exit {rc}; the run took another path?): {err.strip()}")
        now = op.state()
        for name, value in now.items():
            if OP.startswith("backup"):
                continue
            resumable = name == "code" and value == old[name] + " checkout under way (journal)"
            if value not in (old[name], new[name]) and not resumable:
                problems.append(f"after the kill, {name} is neither the old nor the new state ({value})")
        check_repo(problems, "after the kill")
        op.extra_checks(problems, "after the kill")
        # What the rerun must say about the interrupted run, when the kill left a journal.
        store = os.path.join(SITE, ".git", "pantheon")
        must_say = [text for journal, text in (("restore-dev", "an earlier restore of"),
                                               ("head-move", "an earlier import was interrupted"))
                    if os.path.exists(os.path.join(store, journal))]
        rc, err = run_cmd(op.cmd)
        for text in must_say:
            if text not in err:
                problems.append(f"the rerun did not say what was interrupted ('{text}...'): {err.strip()}")
        if "error" in err and rc == 0:
            problems.append(f"the rerun succeeded but printed an error: {err.strip()}")
        if VERBOSE and err.strip():
            log(f"{OP} {where}: the rerun said: {err.strip()}")
        if rc != 0:
            problems.append(f"the rerun failed (exit {rc}): {err.strip()}")
        else:
            now = op.state()
            for name, value in now.items():
                if not OP.startswith("backup") and value != new[name]:
                    problems.append(f"after the rerun, {name} is not the new state")
        check_repo(problems, "after the rerun")
        op.extra_checks(problems, "after the rerun")
        op.after_rerun(problems)
        tried += 1
        if problems:
            for p in problems:
                log(f"{OP} {where}: {p}")
        else:
            survived += 1
    print(f"{OP}: {len(points)} fault points; kill points survived/tried: {survived}/{tried}", flush=True)
    return 0 if survived == tried else 1


if __name__ == "__main__":
    # Setup helpers run in TPL/site.
    SITE = os.path.join(TPL, "site")
    sys.exit(main())
