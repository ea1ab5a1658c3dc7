#!/usr/bin/env bash
# One backup of the centre's PostgreSQL database: `pg_dump --format=custom` into DIR as
# DB-YYYYMMDDTHHMMSSZ.dump (UTC), mode 0600, then only the newest KEEP such dumps are kept.
#
#   backup.sh [--db NAME] [--host HOST] [--port PORT] [--user ROLE] [--dir DIR] [--keep KEEP]
#
# Each option may come from the environment instead: HPF_BACKUP_DB (default hpf_central), HPF_BACKUP_HOST
# and HPF_BACKUP_PORT (default: libpq's, the Unix socket in /run/postgresql), HPF_BACKUP_USER (default:
# the user running this, by peer authentication), HPF_BACKUP_DIR (default /var/backups/hpf-central),
# HPF_BACKUP_KEEP (default 14). pg_dump is the one on PATH.
#
# The dump is written under a hidden temporary name, flushed to disk, then renamed: a file named *.dump is
# always a complete dump. Two backups of the same directory never run at once. On failure the exit status
# is 1 and stderr has one line saying what failed; nothing half-written is left behind.
set -euo pipefail
export LC_ALL=C
umask 077

PROG=hpf-central-backup
fail() {
  echo "$PROG: $*" >&2
  exit 1
}

db=${HPF_BACKUP_DB:-hpf_central}
host=${HPF_BACKUP_HOST:-}
port=${HPF_BACKUP_PORT:-}
user=${HPF_BACKUP_USER:-}
dir=${HPF_BACKUP_DIR:-/var/backups/hpf-central}
keep=${HPF_BACKUP_KEEP:-14}

while [ $# -gt 0 ]; do
  case "$1" in
    --db | --host | --port | --user | --dir | --keep)
      [ $# -ge 2 ] || fail "$1 needs a value"
      case "$1" in
        --db) db=$2 ;;
        --host) host=$2 ;;
        --port) port=$2 ;;
        --user) user=$2 ;;
        --dir) dir=$2 ;;
        --keep) keep=$2 ;;
      esac
      shift 2
      ;;
    -h | --help)
      sed -n '2,10s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    *) fail "unknown argument: $1 (see --help)" ;;
  esac
done

[ -n "$db" ] || fail "no database named"
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || fail "--keep must be a whole number, at least 1, not '$keep'"
command -v pg_dump >/dev/null || fail "pg_dump not found (Debian package postgresql-client)"
[ -d "$dir" ] || fail "backup directory $dir does not exist (install -d -o postgres -g postgres -m 0700 $dir)"
[ -w "$dir" ] || fail "backup directory $dir is not writable by $(id -un)"

# One backup at a time per directory: the lock is on the directory itself, so no lock file is left.
exec 9<"$dir"
flock --nonblock 9 || fail "another backup into $dir is running"

# A run killed outright (power cut, SIGKILL) leaves its temporary file; no other run is going on now.
rm -f -- "$dir"/."$db"-*.dump.partial

# Names sort in time order; a second run within the same second waits for the next one.
for _ in 1 2 3; do
  name="$db-$(date -u +%Y%m%dT%H%M%SZ).dump"
  [ -e "$dir/$name" ] || break
  sleep 1
done
[ ! -e "$dir/$name" ] || fail "$dir/$name already exists"
partial="$dir/.$name.partial"
trap 'rm -f -- "$partial"' EXIT

connection=(--dbname="$db")
[ -z "$host" ] || connection+=(--host="$host")
[ -z "$port" ] || connection+=(--port="$port")
[ -z "$user" ] || connection+=(--username="$user")

if ! errors=$(pg_dump --format=custom --no-password "${connection[@]}" --file="$partial" 2>&1); then
  reason=$(printf '%s\n' "$errors" | grep -v '^[[:space:]]*$' | head -n 1 | sed 's/^pg_dump: error: //')
  fail "pg_dump of database $db failed: ${reason:-exit status without a message}"
fi
chmod 0600 -- "$partial"
sync -- "$partial" || fail "cannot flush $partial to disk"
mv -T -- "$partial" "$dir/$name" || fail "cannot rename $partial to $name"
trap - EXIT
sync -- "$dir" || fail "cannot flush $dir to disk"

# The newest KEEP dumps of this database stay; the glob sorts oldest first.
shopt -s nullglob
dumps=("$dir/$db"-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z.dump)
for ((i = 0; i < ${#dumps[@]} - keep; i++)); do
  rm -f -- "${dumps[i]}" || fail "cannot remove the old dump ${dumps[i]}"
done
echo "$PROG: database $db dumped to $dir/$name ($(stat -c %s "$dir/$name") bytes); $((${#dumps[@]} < keep ? ${#dumps[@]} : keep)) kept"
