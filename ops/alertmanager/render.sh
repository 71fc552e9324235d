#!/bin/sh
# Fill the ${NAME} placeholders of Alertmanager's files from the environment, then (with a command after --)
# run it. A placeholder whose variable is missing or empty is an error: there is no default address or
# password. Values may not contain a single quote or a line break (they go into single-quoted YAML).
#   render.sh TEMPLATE OUTPUT [TEMPLATE OUTPUT ...] [-- COMMAND ...]
set -eu
umask 077
while [ $# -ge 2 ] && [ "$1" != "--" ]; do
  template=$1 output=$2
  shift 2
  awk '
    {
      line = $0; out = ""
      while (match(line, /\$\{[A-Z][A-Z0-9_]*\}/)) {
        name = substr(line, RSTART + 2, RLENGTH - 3)
        value = ENVIRON[name]
        if (value == "") { printf "render.sh: %s is not set (see .env.example)\n", name > "/dev/stderr"; failed = 1 }
        if (index(value, "\047") > 0) { printf "render.sh: %s may not contain a single quote\n", name > "/dev/stderr"; failed = 1 }
        out = out substr(line, 1, RSTART - 1) value
        line = substr(line, RSTART + RLENGTH)
      }
      print out line
    }
    END { exit failed }
  ' "$template" > "$output.tmp" || { rm -f "$output.tmp"; exit 1; }
  mv "$output.tmp" "$output"
done
if [ "${1:-}" = "--" ]; then
  shift
  exec "$@"
fi
