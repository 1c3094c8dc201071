/* httpconn.h - the HTTP server's connections: deadlines for slow clients, eviction at the limit. */
#ifndef CGOSCOPE_HTTPCONN_H
#define CGOSCOPE_HTTPCONN_H

#include <stdbool.h>

struct httpconn_opts {
	unsigned int max_conns; /* beyond this many, a new connection evicts the oldest slow one */
	double read_s; /* a request must be read whole within this of its first byte's wait */
	double write_s; /* a response must be sent whole within this */
};

struct httpconn_stats {
	unsigned int open; /* connections now */
	unsigned long long evicted_limit; /* closed to make room for a new connection */
	unsigned long long refused; /* new connections closed at once: no room */
	unsigned long long evicted_read; /* closed: request not read within read_s */
	unsigned long long evicted_write; /* closed: response not sent within write_s */
};

struct httpconn; /* one connection (MHD's socket context) */
struct httpconn_table;

/*
 * A table of connections and its reaper thread, which shuts down (never
 * closes: the server owns the sockets) those past their deadline every
 * 100 ms. Returns 0 or -errno; *out freed by httpconn__free().
 */
int httpconn__new(const struct httpconn_opts *opts, struct httpconn_table **out);

/*
 * A connection on socket fd from the client address peer (peer_len bytes:
 * 4 for IPv4, 16 for IPv6) was accepted: its read deadline starts. When more
 * than max_conns are open, one of the address that holds the most
 * connections is shut down to make room: the one waiting longest for its
 * request, else the one sending longest, the new one only when it is that
 * address's only connection. Returns the connection, or NULL without memory
 * (the caller then shuts fd down itself).
 */
struct httpconn *httpconn__opened(struct httpconn_table *t, int fd, const void *peer,
				  size_t peer_len);

/* Its request is read: the write deadline starts. NULL c ok. */
void httpconn__serving(struct httpconn_table *t, struct httpconn *c);

/* Its response is sent: the read deadline of the next request starts. NULL c ok. */
void httpconn__idle(struct httpconn_table *t, struct httpconn *c);

/*
 * The server is about to close c's socket: forgets c (after this returns,
 * the reaper never touches the socket again). NULL c ok.
 */
void httpconn__closed(struct httpconn_table *t, struct httpconn *c);

void httpconn__stats(struct httpconn_table *t, struct httpconn_stats *st);

/* Stops the reaper and frees t (connections still open are forgotten). NULL ok. */
void httpconn__free(struct httpconn_table *t);

#endif /* CGOSCOPE_HTTPCONN_H */
