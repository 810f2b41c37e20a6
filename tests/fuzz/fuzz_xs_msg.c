/*
 * fuzz_xs_msg.c - libFuzzer target for the xenstore wire protocol: the
 * message decoder (protocol/xs_msg.c) and the simulated store's request
 * handling (lib/sim/simxs.c; the tree, transactions and watches in
 * lib/sim/simxs_tree.c, permissions in lib/sim/simxs_perm.c), with no
 * sockets.
 *
 * The input is a stream of messages as a client would send them.  Byte 0
 * of each record picks the connection (dom0, dom5 or dom7) and whether
 * @releaseDomain fires first; then a 16-byte header and its payload.  The
 * header's length is kept as it is when it can be honoured, else clamped
 * to what is left, so that both framing errors and deep request paths are
 * reached.  Every reply must be a valid frame.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -I. -Iprotocol -Ilib
 *   tests/fuzz/fuzz_xs_msg.c protocol/xs_msg.c lib/sim/simxs.c
 *   lib/sim/simxs_tree.c lib/sim/simxs_perm.c lib/log.c lib/util.c
 *   (with a config.h on the include path)
 * Seeds: tests/fuzz/corpus/xs_msg/
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sim/simxs.h"
#include "xs_msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Drain a connection's output; abort on a frame that breaks the rules. */
static void
drain(struct simxs_conn *c)
{
	static uint8_t payload[XS_MSG_PAYLOAD_MAX];
	struct xs_msg_hdr hdr;
	int n;

	while ((n = simxs_conn_pop(c, &hdr, payload, sizeof(payload))) >= 0) {
		if (hdr.type != XS_MSG_ERROR && hdr.type != XS_MSG_WATCH_EVENT &&
		    hdr.type >= XS_MSG_TYPE_COUNT)
			abort();
		if (hdr.type == XS_MSG_ERROR &&
		    (n < 2 || payload[n - 1] != '\0'))
			abort();
	}
	if (n != -ENOENT || simxs_conn_out_len(c) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	uint8_t msg[XS_MSG_MAX];
	struct simxs_conn *conn[3];
	struct xs_msg_hdr hdr;
	struct xs_msg_args args;
	struct simxs *xs;
	size_t off = 0, len, i;
	uint8_t sel;
	int rc;

	if (!inited) {
		log_init("fuzz_xs_msg", 1, LOG_LVL_ERR);
		inited = 1;
	}
	/* The bare decoders on the whole input. */
	(void)xs_msg_decode_hdr(data, size, &hdr);
	xs_msg_split(data, size < XS_MSG_PAYLOAD_MAX ? size :
	    XS_MSG_PAYLOAD_MAX, &args);
	if (args.count > 0 && args.arglen[0] != strlen(args.arg[0]))
		abort();
	(void)xs_msg_onearg(data, size);
	(void)xs_msg_errno((const char *)data, size);

	if ((xs = simxs_new()) == NULL)
		return 0;
	conn[0] = simxs_conn_new(xs, 0);
	conn[1] = simxs_conn_new(xs, 5);
	conn[2] = simxs_conn_new(xs, 7);
	while (off + 1 + XS_MSG_HDR_LEN <= size) {
		sel = data[off++];
		if (sel & 0x80)
			simxs_fire_special(xs, "@releaseDomain");
		rc = xs_msg_decode_hdr(data + off, size - off, &hdr);
		len = rc == 0 ? hdr.len : XS_MSG_PAYLOAD_MAX + 1;
		if (len > size - off - XS_MSG_HDR_LEN && !(sel & 0x40)) {
			/* clamp, keeping the rest of the header */
			len = size - off - XS_MSG_HDR_LEN;
			if (len > XS_MSG_PAYLOAD_MAX)
				len = XS_MSG_PAYLOAD_MAX;
			hdr.len = (uint32_t)len;
			xs_msg_encode_hdr(&hdr, msg);
		} else
			memcpy(msg, data + off, XS_MSG_HDR_LEN);
		if (len > size - off - XS_MSG_HDR_LEN)
			len = size - off - XS_MSG_HDR_LEN;
		if (len > XS_MSG_PAYLOAD_MAX)
			len = XS_MSG_PAYLOAD_MAX;
		memcpy(msg + XS_MSG_HDR_LEN, data + off + XS_MSG_HDR_LEN, len);
		rc = simxs_conn_request(conn[sel % 3], msg, XS_MSG_HDR_LEN + len);
		if (rc != 0 && rc != -EPROTO && rc != -EMSGSIZE)
			abort();
		off += XS_MSG_HDR_LEN + len;
		for (i = 0; i < 3; i++)
			drain(conn[i]);
	}
	simxs_free(xs);
	return 0;
}
