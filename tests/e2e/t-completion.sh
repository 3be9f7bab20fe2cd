#!/usr/bin/env bash
# The generated completions, installed where bash-completion and zsh look: bash
# through git's own completion (`git pantheon <TAB>` loads
# share/bash-completion/completions/git-pantheon and calls _git_pantheon), and zsh's
# compinit finding _git-pantheon in share/zsh/site-functions.
. "$(dirname "$0")/lib.sh"

BASH_COMPLETION=/usr/share/bash-completion/bash_completion
GIT_COMPLETION=/usr/share/bash-completion/completions/git

# completions WORD...: what bash offers for the command line WORD... (the last word
# is the one being completed), one a line, through bash-completion and git's
# completion exactly as a terminal would run them.
completions() {
  [ -f "$BASH_COMPLETION" ] || fail "bash-completion is not installed"
  [ -f "$GIT_COMPLETION" ] || fail "git's bash completion is not installed"
  XDG_DATA_DIRS="$GP_PREFIX/share:/usr/share" bash --norc --noprofile -c '
    . "$1" && . "$2" || exit 1
    shift 2
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    __git_wrap__git_main
    printf "%s\n" "${COMPREPLY[@]}"' completion "$BASH_COMPLETION" "$GIT_COMPLETION" "$@"
}

# words_of TEXT: the completions, trailing blanks dropped, on one line.
words_of() { printf '%s\n' "$1" | sed 's/ *$//' | tr '\n' ' ' | sed 's/ *$//'; }

test_completion_files_are_installed() {
  [ -f "$GP_PREFIX/share/bash-completion/completions/git-pantheon" ] || fail "no bash completion installed"
  [ -f "$GP_PREFIX/share/zsh/site-functions/_git-pantheon" ] || fail "no zsh completion installed"
  cmp -s "$GP_PREFIX/share/bash-completion/completions/git-pantheon" <(git pantheon --completion bash) ||
    fail "the installed bash completion is not what the program generates"
  expect_code 2 git pantheon --completion fish
}

test_bash_completes_the_verbs() {
  OUT=$(completions git pantheon "")
  assert_eq "$(words_of "$OUT")" "init backup restore env deploy checkout import push fetch hooks hook help version"
  OUT=$(completions git pantheon ba)
  assert_eq "$(words_of "$OUT")" "backup"
}

test_bash_completes_subcommands() {
  OUT=$(completions git pantheon backup "")
  assert_eq "$(words_of "$OUT")" "create list info get verify prune protect unprotect schedule"
  OUT=$(completions git pantheon -q backup schedule "")
  assert_eq "$(words_of "$OUT")" "enable disable status run"
  OUT=$(completions git pantheon import d)
  assert_eq "$(words_of "$OUT")" "db"
}

test_bash_completes_options_and_choices() {
  OUT=$(completions git pantheon backup create --)
  assert_eq "$(words_of "$OUT")" "--env= --element= --keep-for= --format="
  OUT=$(completions git pantheon restore --no)
  assert_eq "$(words_of "$OUT")" "--no-rewrite --no-safety-backup --no-after"
  OUT=$(completions git pantheon restore --rewrite-)
  assert_eq "$(words_of "$OUT")" "--rewrite-guid"
  OUT=$(completions git pantheon env list --format=)
  assert_eq "$(words_of "$OUT")" "text json"
  OUT=$(completions git pantheon backup schedule enable --scheduler "")
  assert_eq "$(words_of "$OUT")" "systemd cron print"
  OUT=$(completions git pantheon --)
  assert_contains "$OUT" "--no-progress"
  assert_not_contains "$OUT" "--complete-envs"
}

test_bash_completes_environment_names() {
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  cd site
  git pantheon init -q
  printf '\n[env.qa]\nfiles = "qa-files"\ndatabase = "sqlite:db/qa.sqlite"\n' >>.pantheon.toml
  OUT=$(completions git pantheon restore --to-env "")
  assert_eq "$(words_of "$OUT")" "dev test live qa"
  OUT=$(completions git pantheon restore --to-env=q)
  assert_eq "$(words_of "$OUT")" "qa"
  OUT=$(completions git pantheon deploy t)
  assert_eq "$(words_of "$OUT")" "test"
  OUT=$(completions git pantheon env clone-content live "")
  assert_eq "$(words_of "$OUT")" "dev test live qa"
}

test_bash_env_names_outside_a_repository_are_quiet() {
  mkdir norepo && cd norepo
  export GIT_CEILING_DIRECTORIES=$PWD/..
  expect_code 0 git pantheon --complete-envs
  assert_eq "$OUT" ""
  assert_eq "$ERR" ""
  OUT=$(completions git pantheon restore --to-env "" 2>&1)
  assert_eq "$OUT" ""
}

test_zsh_compinit_loads_the_completion() {
  command -v zsh >/dev/null || fail "zsh is not installed"
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  cd site
  git pantheon init -q
  zsh -n "$GP_PREFIX/share/zsh/site-functions/_git-pantheon" || fail "zsh: syntax error in _git-pantheon"
  # compinit finds it on fpath and binds it; then it runs with the completion
  # system's output functions replaced by ones that print what they are given.
  OUT=$(zsh -f -c '
    fpath=("$1" $fpath)
    autoload -U compinit && compinit -u -d "$HOME/.zcompdump" || exit 1
    [[ $_comps[git-pantheon] == _git-pantheon ]] || { print "git-pantheon not bound: $_comps[git-pantheon]"; exit 1; }
    _describe() { print -l -- ${(P)4} }
    compadd() { print -l -- "${@:#--}" }
    _call_program() { shift; "$@" }
    compset() { PREFIX=${PREFIX#*=} }
    try() { CURRENT=$1; shift; words=("$@"); PREFIX=$words[CURRENT]; print "== $words[CURRENT-1]"; _git-pantheon }
    try 3 pantheon backup ""
    try 4 pantheon backup create --
    try 4 pantheon restore --to-env ""' zsh "$GP_PREFIX/share/zsh/site-functions" 2>&1) || fail "zsh: $OUT"
  assert_contains "$OUT" "schedule:back environments up"
  assert_contains "$OUT" "--keep-for:keep it this long"
  assert_contains "$OUT" "$(printf '== --to-env\ndev\ntest\nlive')"
  assert_not_contains "$OUT" "command not found"
}

run_tests
