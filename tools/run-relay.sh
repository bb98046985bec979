#!/usr/bin/env bash
# make run: a relay on the embedded SQLite default, data in ./var/server,
# listening on 127.0.0.1:7443. Initialises it the first time, prints the
# bootstrap invite while one can still be redeemed, and the next command.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${LIAISON_DATA:-var/server}
LISTEN=${LIAISON_LISTEN:-127.0.0.1:7443}
mkdir -p "$(dirname "$DATA")"
if [ ! -d "$DATA" ]; then
  bin/liaison-server init --data "$DATA" --url "wss://$LISTEN"
fi
echo
if token=$(bin/liaison-server invite --data "$DATA" --authority SECRETARIAT --country UN --name "Secretariat" 2>/dev/null); then
  mkdir -p var
  umask 077
  printf '%s\n' "$token" > var/bootstrap-invite.txt
  cat <<MSG
Relay data: $DATA  (listening on $LISTEN)
The bootstrap invite (single use) is in var/bootstrap-invite.txt.
In another terminal, enroll the secretariat with it:

  bin/liaison --home var/secretariat enroll --token-file var/bootstrap-invite.txt --name "Your Name"

MSG
else
  echo "Relay data: $DATA (the secretariat is already enrolled; invite members with 'bin/liaison invite')."
fi
exec bin/liaison-server run --data "$DATA" --listen "$LISTEN"
