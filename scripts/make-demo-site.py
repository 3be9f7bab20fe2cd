#!/usr/bin/env python3
"""Generates a small Drupal-like demo site: a git repository with code, a SQLite
database with a few tables, and a files directory (with regenerable folders that
backups leave out). Usage: make-demo-site.py DIR"""
import os
import sqlite3
import subprocess
import sys

root = sys.argv[1]
files = os.path.join(root, "sites/default/files")
os.makedirs(os.path.join(root, "core/lib"), exist_ok=True)
for d in ("inline-images", "styles/thumbnail", "css", "js", "private", "empty-folder"):
    os.makedirs(os.path.join(files, d), exist_ok=True)

def write(path, text, mode="w"):
    with open(os.path.join(root, path), mode) as f:
        f.write(text)

write("core/lib/Drupal.php", "<?php\nclass Drupal { const VERSION = '10.1.0'; }\n")
write("index.php", "<?php\nrequire 'core/lib/Drupal.php';\n")
write("sites/default/settings.php", "<?php\n$databases['default']['default'] = ['driver' => 'sqlite',"
      " 'database' => 'sites/default/files/.ht.sqlite'];\n")
write(".gitignore", "sites/default/files\n")
for i in range(1, 21):
    write(f"sites/default/files/inline-images/image-{i}.png", os.urandom(2048).hex(), "w")
write("sites/default/files/styles/thumbnail/image-1.png", "regenerable thumbnail\n")
write("sites/default/files/css/css_aggregate.css", "body{}\n")
write("sites/default/files/private/report.txt", "quarterly report\n")
os.symlink("inline-images/image-1.png", os.path.join(files, "latest.png"))

db = sqlite3.connect(os.path.join(files, ".ht.sqlite"))
db.executescript("""
CREATE TABLE node (nid INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, created INTEGER);
CREATE TABLE users (uid INTEGER PRIMARY KEY, name TEXT UNIQUE, mail TEXT, pass BLOB);
CREATE INDEX node_created ON node(created);
CREATE VIEW recent AS SELECT nid, title FROM node ORDER BY created DESC LIMIT 10;
""")
db.executemany("INSERT INTO node VALUES (?,?,?,?)",
               [(i, f"Article {i} \u2014 caf\u00e9 \U0001F680", "Body " * 20, 1700000000 + i) for i in range(1, 501)])
db.executemany("INSERT INTO users VALUES (?,?,?,?)",
               [(i, f"user{i}", f"user{i}@example.invalid", os.urandom(16)) for i in range(1, 51)])
db.commit()
db.close()

env = dict(os.environ, GIT_AUTHOR_NAME="Demo", GIT_AUTHOR_EMAIL="demo@example.invalid",
           GIT_COMMITTER_NAME="Demo", GIT_COMMITTER_EMAIL="demo@example.invalid")
subprocess.run(["git", "init", "-q", "-b", "main", root], check=True)
subprocess.run(["git", "-C", root, "add", "-A"], check=True, env=env)
subprocess.run(["git", "-C", root, "commit", "-q", "-m", "Demo site"], check=True, env=env)
print(f"made a demo site in {root}")
