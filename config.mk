# Build knobs (mosquitto-style): override on the command line, e.g. make CC=clang SAN=1
CC      ?= cc
SAN     ?= 0
OPT     ?= -O2 -g

CSTD    = -std=c11 -D_GNU_SOURCE
WARN    = -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wmissing-prototypes \
          -Wstrict-prototypes
HARDEN  = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE

ifeq ($(SAN),1)
  OPT     = -O1 -g -fno-omit-frame-pointer
  HARDEN  = -fstack-protector-strong -fPIE
  SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined
  BUILD   ?= build-san
else
  SANFLAGS =
  BUILD   ?= build
endif

# Debian 12 packages, found with pkg-config (DESIGN.md §2). libsignal's headers
# are included as <signal/...>, so its -I/usr/include/signal is left out
# (LIBRARY-NOTES.md), and -lprotobuf-c must come before -lsignal-protocol-c.
PKGS      = libsodium openssl libwebsockets sqlite3 jansson libutf8proc \
            libqrencode zbar libpng libjpeg
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libprotobuf-c 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) \
              $(shell pkg-config --libs libprotobuf-c 2>/dev/null) -lsignal-protocol-c
CURSES_CFLAGS := $(shell pkg-config --cflags ncursesw 2>/dev/null)
CURSES_LIBS   := $(shell pkg-config --libs ncursesw 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)
