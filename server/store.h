/* The relay's one narrow storage interface (DESIGN.md §7, §10): what the
 * relay needs (accounts, invites, prekeys, mailboxes, duplicates, expiry,
 * the directory's records), not SQL. Writes are staged and made durable together by store_commit's
 * completion; nothing may be acknowledged to a peer before that completion. */
#ifndef LIAISON_SERVER_STORE_H
#define LIAISON_SERVER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/errors.h"
#include "protocol/layout.h"

#define STORE_MAX_PREKEYS 1000		/* one-time prekeys held per account */
#define STORE_KEY_BYTES 33		/* serialised Curve25519 public key */
#define STORE_SETTING_MAX 512		/* a setting's value, bytes */

struct store;

/* status is 0 when everything staged before store_commit is on disk, or a
 * negative LIAISON_ERR_* when the batch was rolled back (or could not be
 * made durable). */
typedef void (*store_done_fn)(void *arg, int status);
/* Asked to arrange one call of store_flush soon (end of the loop turn). */
typedef void (*store_schedule_fn)(void *arg);
/* Called from the store's sync thread when a sync finished: it must only
 * wake the loop (lws_cancel_service), whose wakeup then calls store_flush. */
typedef void (*store_wake_fn)(void *arg);

/* Opens (create != 0: creates) the database at path and migrates it. */
int store_open(const char *path, int create, struct store **out) LIAISON_WUR;
/* Commits what is staged, waits until it is durable, runs the completions
 * and closes; NULL is a no-op. */
void store_close(struct store *st);
/* With fn and wake: batches are committed at the store_flush fn arranged
 * and made durable on a sync thread while the loop goes on; they complete at
 * a later store_flush, after wake. With NULL: the thread finishes its syncs
 * and stops (wake is never called after this returns), and store_flush
 * syncs before it returns. */
int store_set_scheduler(struct store *st, store_schedule_fn fn, store_wake_fn wake,
			void *arg) LIAISON_WUR;

/* Calls done once everything staged so far, and everything committed
 * before, is durable (or has failed); completions run in the order they
 * were registered. With a scheduler, the batch is committed at the next
 * store_flush; without one the caller calls store_flush itself. */
int store_commit(struct store *st, store_done_fn done, void *arg) LIAISON_WUR;
/* Commits the staged batch and runs the completions of every batch now
 * durable (without a sync thread: all of them). */
void store_flush(struct store *st);

/* Relay settings (the URL): small text values. */
int store_setting_get(struct store *st, const char *key, char *out, size_t outsz) LIAISON_WUR;
int store_setting_set(struct store *st, const char *key, const char *value) LIAISON_WUR;

struct store_invite {
	uint8_t id[16];
	uint8_t redeem_hash[32];		/* SHA-256(redeem): never the secret */
	uint8_t role;				/* ROLE_* */
	char authority[LAYOUT_MAX_AUTHORITY + 1];
	uint64_t expires;			/* ms since the epoch */
	int bootstrap;
};
/* LIAISON_ERR_EXISTS when the id is taken. */
int store_invite_add(struct store *st, const struct store_invite *inv) LIAISON_WUR;
/* Finds a redeemable invite: LIAISON_ERR_BAD_INVITE when unknown or the hash
 * differs, LIAISON_ERR_USED when used (a bootstrap invite also once any
 * bootstrap invite was redeemed), LIAISON_ERR_EXPIRED past its expiry. */
int store_invite_check(struct store *st, const uint8_t id[16], const uint8_t redeem_hash[32],
		       uint64_t now_ms, struct store_invite *out) LIAISON_WUR;
int store_bootstrap_redeemed(struct store *st, int *redeemed) LIAISON_WUR;

struct store_prekey {
	uint32_t id;
	uint8_t public_key[STORE_KEY_BYTES];
};
struct store_signed_prekey {
	uint32_t id;
	uint8_t public_key[STORE_KEY_BYTES];
	uint8_t signature[64];
};

struct store_enrollment {
	uint8_t account[16];
	uint8_t identity_key[STORE_KEY_BYTES];
	uint32_t registration_id;
	uint8_t role;
	char authority[LAYOUT_MAX_AUTHORITY + 1];
	uint8_t invite_id[16];
	int bootstrap;				/* redeems a bootstrap invite */
	const uint8_t *enrollment;		/* the signed layout bytes */
	size_t enrollment_len;
	uint8_t signature[64];
	uint8_t bind_mac[32];
	struct store_signed_prekey signed_prekey;
	const struct store_prekey *prekeys;
	size_t n_prekeys;
	uint64_t enrolled_at;			/* ms */
	int pre_directory;			/* enrolled while no directory existed */
};
/* In one step: marks the invite used (refused with LIAISON_ERR_USED when it
 * already is, or for a bootstrap invite when any bootstrap invite was ever
 * redeemed), stores the account (LIAISON_ERR_EXISTS when the id is taken)
 * and its prekeys. On failure nothing of it is staged. */
int store_enroll(struct store *st, const struct store_enrollment *e) LIAISON_WUR;

struct store_account {
	uint8_t id[16];
	uint8_t identity_key[STORE_KEY_BYTES];
	uint32_t registration_id;
	uint8_t role;
	char authority[LAYOUT_MAX_AUTHORITY + 1];
	int bootstrap;				/* redeemed the bootstrap invite: the root holder */
	int revoked;
	int pre_directory;			/* enrolled while no directory existed */
};
/* LIAISON_ERR_NOT_FOUND for an unknown account. */
int store_account_get(struct store *st, const uint8_t id[16], struct store_account *out) LIAISON_WUR;
/* Relay revocation: ends access. LIAISON_ERR_NOT_FOUND when unknown. */
int store_account_revoke(struct store *st, const uint8_t id[16]) LIAISON_WUR;

/* Adds one-time prekeys (replacing equal ids) and, when spk is not NULL,
 * replaces the signed prekey. LIAISON_ERR_TOO_BIG past STORE_MAX_PREKEYS. */
int store_prekeys_put(struct store *st, const uint8_t account[16],
		      const struct store_signed_prekey *spk,
		      const struct store_prekey *prekeys, size_t n) LIAISON_WUR;
int store_prekeys_count(struct store *st, const uint8_t account[16], uint32_t *left) LIAISON_WUR;

struct store_bundle {
	struct store_signed_prekey signed_prekey;
	int has_signed_prekey;
	struct store_prekey prekey;
	int has_prekey;				/* 0 when none was left */
};
/* The signed prekey and one one-time prekey, which is deleted (staged);
 * *left is what remains. */
int store_bundle_take(struct store *st, const uint8_t account[16], struct store_bundle *out,
		      uint32_t *left) LIAISON_WUR;

struct store_message {
	uint64_t seq;
	uint8_t sender[16];
	uint8_t message_id[16];
	uint32_t type;
	const uint8_t *ciphertext;		/* valid during the callback only */
	size_t ciphertext_len;
	uint64_t received_at;			/* ms */
};
/* Queues a message for recipient, unless (sender, message_id) is already
 * held (then *duplicate = 1 and nothing is stored). Both the message and its
 * id are kept until an expiry pass (store_expire_step) passes their time of arrival, now_ms. */
int store_mailbox_put(struct store *st, const uint8_t sender[16], const uint8_t recipient[16],
		      const uint8_t message_id[16], uint32_t type,
		      const uint8_t *ciphertext, size_t len, uint64_t now_ms,
		      uint64_t *seq, int *duplicate) LIAISON_WUR;
/* Calls fn for the recipient's durable messages after after_seq, oldest
 * first, until max_count messages or about max_bytes of ciphertext (at least
 * one message); fn returns 0 to go on. Staged messages, and committed ones
 * whose batch has not completed yet, are never returned. *count gets how
 * many were passed to fn. */
typedef int (*store_message_fn)(void *arg, const struct store_message *m);
int store_mailbox_fetch(struct store *st, const uint8_t recipient[16], uint64_t after_seq,
			size_t max_count, size_t max_bytes, store_message_fn fn, void *arg,
			size_t *count) LIAISON_WUR;
/* Deletes those of seqs that are the recipient's own; others are ignored. */
int store_mailbox_ack(struct store *st, const uint8_t recipient[16], const uint64_t *seqs,
		      size_t n) LIAISON_WUR;
/* Expiry a step at a time, so that a large store never stalls the loop:
 * a pass deletes the undelivered messages that arrived at or before its
 * cutoff (the cutoff_ms of its first step: now less the relay's
 * --expire-after), looking at up to max_rows of them per step in seq order,
 * and then the duplicate ids that arrived at or before that cutoff (or the
 * step's cutoff_ms, if lower), up to max_rows per step. The ids go only
 * once their messages are gone, so a message never outlives its id. Each
 * step is one operation of the open batch; *removed gets the messages it
 * deleted, and *done is set by the step that ends the pass (the next step
 * starts another). A step that fails undoes itself and restarts the pass,
 * as does a batch that rolls back. */
int store_expire_step(struct store *st, uint64_t cutoff_ms, size_t max_rows, uint64_t *removed,
		      int *done) LIAISON_WUR;

/* ---- the directory (docs/PROTOCOL.md §4): records as the directory
 * library made them; the relay verifies them before it stores them. ---- */

#define STORE_DIR_MAX_RECORD 16384		/* one change, head or snapshot record */

struct store_dir_publish {
	const uint8_t *const *changes;		/* change records of versions first_version.. */
	const size_t *change_lens;
	size_t n_changes;
	uint64_t first_version;			/* must be the stored version + 1 */
	const uint8_t *head;			/* the new head record (required) */
	size_t head_len;
	uint64_t head_version;
	const uint8_t *snapshot;		/* NULL: keep the stored snapshot */
	size_t snapshot_len;
	uint64_t snapshot_version;
	const uint8_t *state;			/* the snapshot's state encoding */
	size_t state_len;
	const uint8_t (*revoke)[16];		/* accounts whose relay access ends too */
	size_t n_revoke;
};
/* In one step: appends the changes (LIAISON_ERR_CHAIN when first_version is
 * not the next version), replaces the head, and the snapshot when given, and
 * revokes the accounts listed (those unknown here are skipped). On failure
 * nothing of it is staged. */
int store_dir_publish(struct store *st, const struct store_dir_publish *p) LIAISON_WUR;
/* The highest stored change version (0: no directory yet). */
int store_dir_version(struct store *st, uint64_t *version) LIAISON_WUR;
/* Calls fn for the change records after `after`, in version order, at most
 * max_count; fn returns 0 to go on, 1 to stop (not an error), or a negative
 * error that is returned. rec is valid during the call only. *count (may be
 * NULL) gets how many fn accepted (returned 0 for). */
typedef int (*store_record_fn)(void *arg, uint64_t version, const uint8_t *rec, size_t len);
int store_dir_changes(struct store *st, uint64_t after, size_t max_count, store_record_fn fn,
		      void *arg, size_t *count) LIAISON_WUR;
/* The latest head record (malloc'd into *rec): LIAISON_ERR_NOT_FOUND when none. */
int store_dir_head(struct store *st, uint8_t **rec, size_t *len, uint64_t *version) LIAISON_WUR;
/* The latest snapshot record (malloc'd) and its state's length:
 * LIAISON_ERR_NOT_FOUND when none. */
int store_dir_snapshot(struct store *st, uint8_t **rec, size_t *len, uint64_t *version,
		       uint64_t *state_len) LIAISON_WUR;
/* Exactly n bytes of the latest snapshot's state from offset
 * (LIAISON_ERR_INVALID past its end, NOT_FOUND when there is none). */
int store_dir_snapshot_read(struct store *st, uint64_t offset, uint8_t *buf, size_t n) LIAISON_WUR;

/* An enrolled account as the approver must check it. */
struct store_pending {
	uint8_t account[16];
	uint8_t role;
	int bootstrap;
	const uint8_t *enrollment;		/* valid during the callback only */
	size_t enrollment_len;
	uint8_t signature[64];
	uint8_t bind_mac[32];
	uint64_t enrolled_at;			/* ms */
};
/* Calls fn for every account the relay has not revoked, oldest enrollment
 * first; fn returns 0 to go on, 1 to stop, or a negative error. */
typedef int (*store_pending_fn)(void *arg, const struct store_pending *p);
int store_enrollments(struct store *st, store_pending_fn fn, void *arg) LIAISON_WUR;

struct store_status {
	uint64_t accounts;
	uint64_t revoked;
	uint64_t queued;
	uint64_t directory_version;
};
int store_status(struct store *st, struct store_status *out) LIAISON_WUR;

#endif
