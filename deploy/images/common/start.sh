#!/bin/bash
# Granary session start script: the image's ENTRYPOINT runs it under tini (tini -g forwards signals
# to this script and the services it starts).
#
# With arguments (a batch session's command): runs them as user work in /home/work and exits with
# their exit code.
# Without arguments (an interactive session): starts the services the image declares in GRANARY_APPS
# (name:protocol[:port], comma-separated) and waits; when one of them exits, the container exits
# with its code. SIGTERM stops them all.
#
# Environment set by the agent:
#   GRANARY_JUPYTER_BASE_URL  the path prefix Jupyter is served under (default /)
# Files placed by the agent before start:
#   /home/work/.ssh/authorized_keys  the session's public key (sshd accepts only it)
#   /run/granary/app-token           the session's app secret (root only): the token its http apps require, which
#                                    only the gateway's proxy sends; Jupyter does not start without it
set -euo pipefail

# Read once, as root, then removed: the session user never finds it in a file, and it is never echoed.
app_token=""
if [ -f /run/granary/app-token ]; then
  app_token="$(cat /run/granary/app-token)"
  rm -f /run/granary/app-token
fi

as_work=(setpriv --reuid=work --regid=work --init-groups
  env -C /home/work HOME=/home/work USER=work LOGNAME=work SHELL=/bin/bash)

if [ "$#" -gt 0 ]; then
  exec "${as_work[@]}" "$@"
fi

start_ssh() {
  local port="$1"
  install -d -m 0755 /run/sshd
  ssh-keygen -A >/dev/null
  # Login records for terminal sessions (sshd reports an error on logout without them).
  touch /run/utmp /var/log/wtmp /var/log/lastlog
  echo "granary: starting sshd on port $port"
  /usr/sbin/sshd -D -e -p "$port" -f /opt/granary/sshd_config &
}

start_jupyter() {
  local port="$1"
  local base="${GRANARY_JUPYTER_BASE_URL:-/}"
  if [ -z "$app_token" ]; then
    echo "granary: no app secret at /run/granary/app-token; refusing to start Jupyter without a token" >&2
    exit 78
  fi
  echo "granary: starting Jupyter Notebook on port $port under $base"
  # The token reaches Jupyter in its environment (JUPYTER_TOKEN), not on its command line; Jupyter does not log a
  # token it did not generate.
  "${as_work[@]}" JUPYTER_TOKEN="$app_token" python3 -m notebook --no-browser --ip=0.0.0.0 --port="$port" \
    --NotebookApp.base_url="$base" \
    --NotebookApp.password= \
    --NotebookApp.allow_origin='*' --NotebookApp.allow_remote_access=True \
    --NotebookApp.trust_xheaders=True \
    --NotebookApp.notebook_dir=/home/work &
}

stop_all() {
  trap - TERM INT
  echo "granary: stopping"
  kill -TERM $(jobs -p) 2>/dev/null || true
  wait || true
  exit 0
}
trap stop_all TERM INT

IFS=',' read -r -a apps <<<"${GRANARY_APPS:-}"
for app in "${apps[@]}"; do
  IFS=':' read -r name protocol port <<<"$app"
  case "$name" in
    ssh) start_ssh "$port" ;;
    jupyter) start_jupyter "$port" ;;
    terminal) ;; # exec-based: the gateway runs tmux through docker exec
    *) echo "granary: no start rule for app '$name' ($protocol:$port); skipped" ;;
  esac
done

if [ -z "$(jobs -p)" ]; then
  # No services (a terminal-only image): stay up until stopped.
  sleep infinity &
fi

set +e
wait -n
code=$?
echo "granary: a service exited with code $code; stopping the session"
kill -TERM $(jobs -p) 2>/dev/null
wait
exit "$code"
