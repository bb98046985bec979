#!/usr/bin/env bash
# End to end: Alice and Bruno verify each other's keys in person. Both see
# the same safety number; each scans the other's exported QR code and the
# contact shows as verified; another pair's code, a wrong digit, an image
# without a code or a missing file are refused with CONTRACT.md's exit code.
# An independent reader (zbarimg) reads the PNG and the terminal drawing to
# the same 74 bytes, a libsignal scannable fingerprint of this pair.
source "$(dirname "$0")/lib.bash"

# png_of_text TEXT_FILE PNG: the half-block QR drawing (dark modules as
# blocks, as `verify` prints it when stdout is not a terminal) as a
# greyscale PNG, 4 pixels a module, written with zlib alone.
png_of_text() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys, zlib
rows = []
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if not line or any(ch not in " \u2580\u2584\u2588" for ch in line):
        continue
    top = [ch in "\u2580\u2588" for ch in line]
    bottom = [ch in "\u2584\u2588" for ch in line]
    rows += [top, bottom]
if not rows:
    sys.exit("no QR drawing in the output")
width, scale = len(rows[0]), 4
raw = b""
for r in rows:
    px = b"".join((b"\x00" if dark else b"\xff") * scale for dark in r)
    raw += (b"\x00" + px) * scale
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
with open(sys.argv[2], "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n")
    f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width * scale, len(rows) * scale, 8, 0, 0, 0, 0)))
    f.write(chunk(b"IDAT", zlib.compress(raw)))
    f.write(chunk(b"IEND", b""))
EOF
}

# blank_png PNG: a white image with no code in it.
blank_png() {
	python3 - "$1" <<'EOF'
import struct, sys, zlib
w = h = 64
raw = (b"\x00" + b"\xff" * w) * h
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
with open(sys.argv[1], "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
EOF
}

# zbar_bytes PNG OUT: the raw bytes of the code as zbarimg reads them (its
# --raw output ends with one newline of its own, dropped here).
zbar_bytes() {
	zbarimg --quiet --raw -Sbinary "$1" 2>/dev/null >"$2.tmp" || return 1
	python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); d=d[:-1] if d.endswith(b"\n") else d; open(sys.argv[2],"wb").write(d)' "$2.tmp" "$2"
}

# fp_parts BIN: "version local_hex remote_hex" of a serialised scannable
# fingerprint (CombinedFingerprints: 1 version, 2 local, 3 remote, each
# LogicalFingerprint with its 32-byte content in field 1), or "invalid".
fp_parts() {
	python3 - "$1" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read()
def field(buf, i):
    key = buf[i]; i += 1
    if key & 7 == 0:
        return key >> 3, buf[i], i + 1
    n = buf[i]; i += 1
    return key >> 3, buf[i:i + n], i + n
try:
    out, i = {}, 0
    while i < len(d):
        num, val, i = field(d, i)
        out[num] = val
    parts = []
    for n in (2, 3):
        k, content, _ = field(out[n], 0)
        assert k == 1 and len(content) == 32
        parts.append(content.hex())
    print(len(d), out[1], parts[0], parts[1])
except Exception:
    print("invalid")
EOF
}

contact_field() { # HOME ACCOUNT FIELD: FIELD of ACCOUNT in contacts --json
	liaison "$1" contacts --json | python3 -c 'import json,sys
for line in sys.stdin:
    o = json.loads(line)
    if o["account"] == sys.argv[1]: print(json.dumps(o[sys.argv[2]]))' "$2" "$3"
}

if ! network_up alice bruno carla; then
	notok "network up: relay, secretariat and three members"; finish
fi
ok "network up: relay, secretariat and three members"

# Each side comes to trust the other's key (pinned on first contact, or
# listed by the directory).
check "alice writes to bruno" liaison alice send "$ACC_bruno" "hello bruno" >/dev/null
check "bruno reads it" liaison bruno sync >/dev/null
check "carla writes to bruno" liaison carla send "$ACC_bruno" "hello from carla" >/dev/null

# --- safety numbers ------------------------------------------------------
liaison alice verify "$ACC_bruno" >"$T/alice.txt" 2>"$T/alice.err"
expect_eq "verify prints the pair's number and code (exit 0)" 0 $?
liaison bruno verify "$ACC_alice" >"$T/bruno.txt" 2>"$T/bruno.err"
num_a=$(awk '$1 == "safety-number" {$1=""; print substr($0, 2)}' "$T/alice.txt")
num_b=$(awk '$1 == "safety-number" {$1=""; print substr($0, 2)}' "$T/bruno.txt")
if [[ "$num_a" =~ ^[0-9]{5}(\ [0-9]{5}){11}$ ]]; then ok "the safety number is 12 groups of 5 digits"
else notok "the safety number is 12 groups of 5 digits: got '$num_a'"; fi
expect_eq "alice and bruno see the same safety number" "$num_a" "$num_b"
if grep -q $'\033' "$T/alice.txt"; then notok "no colour codes when stdout is not a terminal"
else ok "no colour codes when stdout is not a terminal"; fi
expect_eq "alice has not verified bruno yet" false "$(contact_field alice "$ACC_bruno" verified)"

# --- QR codes as PNG ------------------------------------------------------
expect_exit 0 "alice exports her code" liaison alice verify "$ACC_bruno" --qr-png "$T/alice.png"
expect_eq "the export prints the same number" "$num_a" \
	"$(awk '$1 == "safety-number" {$1=""; print substr($0, 2)}' "$T/last.out")"
expect_exit 0 "bruno exports his code" liaison bruno verify "$ACC_alice" --qr-png "$T/bruno.png"
expect_exit 0 "carla exports her code for bruno" liaison carla verify "$ACC_bruno" --qr-png "$T/carla.png"

expect_exit 4 "alice scanning carla's code (another pair) for bruno is refused" \
	liaison alice verify "$ACC_bruno" --scan "$T/carla.png"
if grep -q 'not the code of this pair' "$T/last.err" && [ "$(wc -l <"$T/last.err")" -eq 1 ]; then
	ok "one line says the code is not this pair's"
else notok "one line says the code is not this pair's: got '$(cat "$T/last.err")'"; fi
expect_exit 4 "alice scanning her own code is refused" \
	liaison alice verify "$ACC_bruno" --scan "$T/alice.png"
expect_eq "still not verified after refused scans" false "$(contact_field alice "$ACC_bruno" verified)"

expect_exit 0 "alice scans bruno's code" liaison alice verify "$ACC_bruno" --scan "$T/bruno.png"
expect_exit 0 "bruno scans alice's code" liaison bruno verify "$ACC_alice" --scan "$T/alice.png"
expect_eq "alice's contacts show bruno verified" true "$(contact_field alice "$ACC_bruno" verified)"
expect_eq "bruno's contacts show alice verified" true "$(contact_field bruno "$ACC_alice" verified)"
expect_eq "and no key change" false "$(contact_field alice "$ACC_bruno" key_changed)"
expect_eq "carla's contacts do not show bruno verified" false "$(contact_field carla "$ACC_bruno" verified)"

# --- an independent reader -------------------------------------------------
if zbar_bytes "$T/bruno.png" "$T/bruno.bin" && zbar_bytes "$T/alice.png" "$T/alice.bin"; then
	ok "zbarimg reads both PNG codes"
else notok "zbarimg reads both PNG codes"; fi
read -r len_b ver_b local_b remote_b <<<"$(fp_parts "$T/bruno.bin")"
read -r len_a ver_a local_a remote_a <<<"$(fp_parts "$T/alice.bin")"
expect_eq "bruno's code holds a 74-byte version 1 scannable fingerprint" "74 1" "${len_b:-} ${ver_b:-}"
expect_eq "alice's code holds a 74-byte version 1 scannable fingerprint" "74 1" "${len_a:-} ${ver_a:-}"
expect_eq "alice's own side in her code is alice's side in bruno's" "${local_a:-a}" "${remote_b:-b}"
expect_eq "bruno's own side in his code is bruno's side in alice's" "${local_b:-a}" "${remote_a:-b}"

# --- the code drawn in the terminal ----------------------------------------
if png_of_text "$T/bruno.txt" "$T/bruno-term.png" 2>"$T/py.err" &&
   zbar_bytes "$T/bruno-term.png" "$T/bruno-term.bin"; then
	ok "zbarimg reads the code drawn in the terminal"
else notok "zbarimg reads the code drawn in the terminal: $(cat "$T/py.err")"; fi
if cmp -s "$T/bruno.bin" "$T/bruno-term.bin"; then
	ok "the terminal code carries the very bytes of the PNG alice scanned"
else notok "the terminal code carries the very bytes of the PNG alice scanned"; fi
expect_exit 0 "alice accepts a picture of bruno's terminal code" \
	liaison alice verify "$ACC_bruno" --scan "$T/bruno-term.png"
# On a terminal, each line of the code is forced to black on white.
if command -v script >/dev/null; then
	script -qc "'$BIN/liaison' --home '$T/bruno' verify $ACC_alice" /dev/null >"$T/tty.raw" 2>&1
	qr_lines=$(grep -c $'^\033\\[30;47m.*\033\\[0m\r\\?$' "$T/tty.raw")
	if [ "$qr_lines" -ge 20 ]; then ok "on a terminal the code is drawn black on white"
	else notok "on a terminal the code is drawn black on white: $qr_lines coloured lines"; fi
	sed -e $'s/\033\\[[0-9;]*m//g' -e $'s/\r$//' "$T/tty.raw" >"$T/tty.txt"
	if png_of_text "$T/tty.txt" "$T/tty.png" 2>/dev/null && zbar_bytes "$T/tty.png" "$T/tty.bin" &&
	   cmp -s "$T/tty.bin" "$T/bruno.bin"; then
		ok "the coloured terminal code carries the same bytes"
	else notok "the coloured terminal code carries the same bytes"; fi
fi

# --- typed numbers ----------------------------------------------------------
expect_exit 0 "the right number typed with spaces" liaison alice verify "$ACC_bruno" --number "$num_b"
expect_exit 0 "the right number typed without spaces" \
	liaison bruno verify "$ACC_alice" --number "${num_a// /}"
last=${num_b: -1}; wrong="${num_b%?}$(( (last + 1) % 10 ))"
expect_exit 4 "one digit changed" liaison alice verify "$ACC_bruno" --number "$wrong"
expect_exit 2 "too few digits" liaison alice verify "$ACC_bruno" --number "12345 67890"
expect_exit 2 "letters in the number" liaison alice verify "$ACC_bruno" --number "${num_b/1/x}"

# --- bad input ----------------------------------------------------------------
blank_png "$T/blank.png"
expect_exit 2 "an image without a QR code" liaison alice verify "$ACC_bruno" --scan "$T/blank.png"
if grep -q "no QR code found in $T/blank.png" "$T/last.err"; then ok "it says no QR code was found"
else notok "it says no QR code was found: got '$(cat "$T/last.err")'"; fi
printf 'not an image\n' >"$T/text.png"
expect_exit 2 "a file that is not an image" liaison alice verify "$ACC_bruno" --scan "$T/text.png"
expect_exit 1 "a file that cannot be read" liaison alice verify "$ACC_bruno" --scan "$T/missing.png"
expect_exit 4 "an account nobody listed" liaison alice verify aaaaaaaaaaaaaaaaaaaaaaaaaa
expect_exit 2 "an account id that is not one" liaison alice verify not-an-account
expect_exit 2 "two actions at once" liaison alice verify "$ACC_bruno" --number "$num_b" --scan "$T/bruno.png"
expect_eq "bruno is still verified after all that" true "$(contact_field alice "$ACC_bruno" verified)"

finish
