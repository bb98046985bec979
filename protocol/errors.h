/* Liaison error codes: every fallible function returns 0 or one of these.
 * One table turns a code into words (liaison_strerror) and into the exit
 * code of CONTRACT.md (liaison_exit_code); no call site decides either. */
#ifndef LIAISON_ERRORS_H
#define LIAISON_ERRORS_H

#define LIAISON_WUR __attribute__((warn_unused_result))

enum liaison_err {
	LIAISON_OK = 0,
	LIAISON_ERR_NOMEM = -1,          /* out of memory */
	LIAISON_ERR_INVALID = -2,        /* malformed input */
	LIAISON_ERR_TOO_BIG = -3,        /* over a named limit */
	LIAISON_ERR_CRYPTO = -4,         /* a crypto library call failed */
	LIAISON_ERR_SIGNATURE = -5,      /* a signature does not verify */
	LIAISON_ERR_DECRYPT = -6,        /* authentication of ciphertext failed */
	LIAISON_ERR_IO = -7,             /* file or socket I/O failed */
	LIAISON_ERR_STORAGE = -8,        /* the database failed */
	LIAISON_ERR_NETWORK = -9,        /* the relay could not be reached */
	LIAISON_ERR_TIMEOUT = -10,       /* no answer in time */
	LIAISON_ERR_NOT_FOUND = -11,     /* no such thing */
	LIAISON_ERR_EXISTS = -12,        /* already there */
	LIAISON_ERR_DENIED = -13,        /* not permitted (role) */
	LIAISON_ERR_EXPIRED = -14,       /* past its expiry */
	LIAISON_ERR_USED = -15,          /* an invite already redeemed */
	LIAISON_ERR_PIN = -16,           /* relay certificate differs from the pin */
	LIAISON_ERR_IDENTITY = -17,      /* a key differs from the trusted one */
	LIAISON_ERR_LOCKED = -18,        /* the home is held by another process */
	LIAISON_ERR_PASSPHRASE = -19,    /* wrong passphrase */
	LIAISON_ERR_UNKNOWN_PEER = -20,  /* recipient unknown or unlisted */
	LIAISON_ERR_REVOKED = -21,       /* account revoked */
	LIAISON_ERR_DUPLICATE = -22,     /* already seen (not a failure) */
	LIAISON_ERR_UNSUPPORTED = -23,   /* unknown version or kind */
	LIAISON_ERR_USAGE = -24,         /* bad command line */
	LIAISON_ERR_PROTOCOL = -25,      /* the peer broke the protocol */
	LIAISON_ERR_CHECKSUM = -26,      /* a token's checksum fails */
	LIAISON_ERR_PENDING = -27,       /* account awaiting approval */
	LIAISON_ERR_LOGIN = -28,         /* login refused */
	LIAISON_ERR_BAD_INVITE = -29,    /* invite unknown to the relay */
	LIAISON_ERR_FINGERPRINT = -30,   /* a fingerprint does not match */
	LIAISON_ERR_NOT_INITIALISED = -31, /* data dir or home missing */
	LIAISON_ERR_BUSY = -32,          /* try again later */
	LIAISON_ERR_INTERNAL = -33,      /* a bug of ours */
	LIAISON_ERR_ROLLBACK = -34,      /* the directory went back to an older version */
	LIAISON_ERR_FORK = -35,          /* two signed directory histories */
	LIAISON_ERR_BEHIND = -36,        /* a signed head is ahead: fetch the changes */
	LIAISON_ERR_WITHHELD = -37,      /* the relay cannot supply what a head announces */
	LIAISON_ERR_SIGNER = -38,        /* signer not an active certified secretariat (or root) */
	LIAISON_ERR_CHAIN = -39,         /* a change out of order or off the chain */
	LIAISON_ERR_CLOCK = -40,         /* a signed time backdated or too far ahead */
	LIAISON_ERR_STALE = -41,         /* the directory head has expired */
	LIAISON_ERR_OWN_CHANGED = -42,   /* one's own entry changed without asking */
	LIAISON_ERR_UNVERIFIED = -43,    /* a verified contact's key changed: verify again */
	LIAISON_ERR_DIR_TAMPERED = -44,  /* what the relay served as the directory fails verification */
	LIAISON_ERR_COUNT_ = 45
};

/* Words for a code, for the second half of "liaison: WHAT: WHY". */
const char *liaison_strerror(int err);

/* The CONTRACT.md exit code for a code: 0, 1, 2, 3 or 4. */
int liaison_exit_code(int err);

#endif
