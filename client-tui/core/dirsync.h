/* The client's verified directory (DESIGN.md §5, §9): the last verified
 * state, the tracker (highest version and chain hash seen, head expiry),
 * the last verified head, and what must survive the process: a fork found
 * (both heads, kept for good) and the highest validly signed head seen that
 * the state has not reached (a withholding until the relay supplies the
 * changes). Kept encrypted in the home as a few VT_META pages and loaded
 * once per process. Only states that verified under the root are ever
 * saved here; nothing here talks to the network or prints. */
#ifndef LIAISON_DIRSYNC_H
#define LIAISON_DIRSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "client-tui/core/home.h"
#include "client-tui/core/self.h"
#include "directory/directory.h"
#include "protocol/errors.h"

#define DIRSYNC_PAGE_BYTES (1024u * 1024)   /* one VT_META page of the state */
#define DIRSYNC_MAX_PAGES ((DIR_MAX_STATE + DIRSYNC_PAGE_BYTES - 1) / DIRSYNC_PAGE_BYTES)

struct dirsync {
	struct home *home;               /* borrowed */
	signal_context *sctx;            /* owned: checks enrollment signatures */
	struct dir_state *st;            /* last verified state; NULL before the first */
	struct dir_tracker tr;
	int has_tracker;
	uint8_t *head;                   /* last verified head record (malloc'd) */
	size_t head_len;
	struct dir_search *search;       /* built on demand */
	size_t n_pages;                  /* pages saved */
	uint64_t state_len;              /* bytes of the saved encoding */
	size_t save_pages;               /* of the last dirsync_save, for adopt */
	uint64_t save_len;
	int save_drops_ahead;            /* the last dirsync_save reached ahead */
	/* A fork (two validly signed heads of one version, different chain
	 * hashes): recorded once, never cleared by the client. */
	int forked;
	uint8_t *fork_ours, *fork_theirs;   /* the two head records, evidence */
	size_t fork_ours_len, fork_theirs_len;
	/* The highest validly signed head seen beyond the state (from a peer,
	 * or the relay's own), until a verified state reaches its version. */
	uint8_t *ahead;
	size_t ahead_len;
	struct dir_head ahead_head;
};

/* The directory of home h, loaded from the home the first time a process
 * asks (the same object afterwards, until dirsync_drop). */
int dirsync_get(struct home *h, struct dirsync **out) LIAISON_WUR;
/* Forgets the process's copy (tests). */
void dirsync_drop(void);
/* Forgets it when it belongs to h (home_close). */
void dirsync_forget(const struct home *h);

/* Saves st (the new verified state; NULL keeps the saved one), the tracker
 * and head inside the caller's transaction; on the caller's commit, call
 * dirsync_adopt with the same values. A recorded fork is kept; the head
 * kept beyond the state is dropped once the saved state reaches its
 * version (the caller has checked the chain hash there). */
int dirsync_save(struct dirsync *ds, const struct dir_state *st, const struct dir_tracker *tr,
		 const uint8_t *head, size_t head_len) LIAISON_WUR;
/* Makes st (owned from now on; NULL keeps the current one), tr and head
 * the process's current directory. */
int dirsync_adopt(struct dirsync *ds, struct dir_state *st, const struct dir_tracker *tr,
		  const uint8_t *head, size_t head_len) LIAISON_WUR;

/* A deep copy of a state (encode, decode), sharing ds's signal context. */
int dirsync_clone(struct dirsync *ds, const struct dir_state *st, struct dir_state **out) LIAISON_WUR;
/* The search index of the current state (NOT_FOUND before the first). */
int dirsync_search(struct dirsync *ds, struct dir_search **out) LIAISON_WUR;
/* 1 when the latest verified head has expired (or none was seen). */
int dirsync_stale(const struct dirsync *ds, uint64_t now_ms);

/* LIAISON_ERR_FORK once a fork was recorded in this home, else 0. */
int dirsync_forked(const struct dirsync *ds);
/* Records a fork, with the two head records as evidence (ours: the one
 * this client holds; theirs: the conflicting one; either may be empty), in
 * a transaction of its own. The first evidence recorded stays. */
int dirsync_record_fork(struct dirsync *ds, const uint8_t *ours, size_t ours_len,
			const uint8_t *theirs, size_t theirs_len) LIAISON_WUR;
/* Records rec, a head whose signature verified under a secretariat key
 * (parsed as *h) and whose version is beyond the state, as the highest
 * head seen, in a transaction of its own. Nothing happens when the one
 * kept is newer or the same; LIAISON_ERR_FORK (nothing recorded: the
 * caller records the fork) when it has the same version and another chain
 * hash. */
int dirsync_record_ahead(struct dirsync *ds, const uint8_t *rec, size_t len,
			 const struct dir_head *h) LIAISON_WUR;
/* The kept head beyond the state, or NULL when the state has reached it. */
const struct dir_head *dirsync_ahead(const struct dirsync *ds);

/* A genesis or other publication signed but not yet acknowledged by the
 * relay (the bootstrap's version 1): kept in VT_META "dir.publish" inside
 * the caller's transaction, read back, dropped. */
struct dirsync_publish {
	uint8_t **changes;
	size_t *lens;
	size_t n;
	uint8_t *head;
	size_t head_len;
};
int dirsync_publish_keep(struct home *h, const struct dirsync_publish *p) LIAISON_WUR;
int dirsync_publish_load(struct home *h, struct dirsync_publish *out) LIAISON_WUR;
int dirsync_publish_drop(struct home *h) LIAISON_WUR;
void dirsync_publish_free(struct dirsync_publish *p);

/* The approval of one's own enrollment, kept for the genesis. */
int dirsync_genesis(struct self *s, const uint8_t *enrollment, size_t enrollment_len,
		    const uint8_t enrollment_sig[64], uint64_t head_lifetime_s,
		    uint32_t snapshot_every, signal_context *sctx, uint64_t now_ms,
		    struct dirsync_publish *out) LIAISON_WUR;

#endif
