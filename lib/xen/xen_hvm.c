/*
 * xen_hvm.c - what an HVM guest needs beyond PV and PVH, on the Xen side
 * (xen_dm.c talks to its QEMU): which device model runs it, whether it
 * has PV drivers, its suspend by hypercall, the xenstore keys libxl
 * carries for QEMU, and a resume when its QEMU is gone.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen_int.h"
#include "xen_dm.h"
#include "log.h"

int
xen_hvm_dm_check(struct xen_priv *x, uint32_t domid)
{
	char path[64], *v;
	unsigned len;
	int ok;

	if (libxl_get_stubdom_id(x->ctx, domid) != 0) {
		log_warnx("xen: domain %u's device model runs in a stub "
		    "domain: not supported", domid);
		return -EOPNOTSUPP;
	}
	/* libxl__device_model_version_running(): none means traditional. */
	snprintf(path, sizeof(path), "/libxl/%u/dm-version", domid);
	v = xs_read(x->xsh, XBT_NULL, path, &len);
	ok = v != NULL && strcmp(v, "qemu_xen") == 0;
	if (!ok)
		log_warnx("xen: domain %u's device model is %s: only upstream "
		    "QEMU (device_model_version = \"qemu-xen\") is supported",
		    domid, v != NULL ? v : "qemu-xen-traditional");
	free(v);
	return ok ? 0 : -EOPNOTSUPP;
}

int
xen_hvm_dm_ready(struct xen_priv *x, uint32_t domid, const uint8_t uuid[16],
    struct xen_dm *dm)
{
	int rc;

	if ((rc = xen_hvm_dm_check(x, domid)) != 0 ||
	    (rc = xen_dm_init(dm, domid, uuid, XEN_DM_RUN_DIR,
	    XEN_DM_LIB_DIR)) != 0)
		return rc;
	if (!xen_dm_alive(dm)) {
		log_warnx("xen: domain %u's device model (QEMU) is not "
		    "running: its devices cannot be saved", domid);
		return -EHOSTDOWN;
	}
	return 0;
}

int
xen_hvm_no_pv_drivers(struct xen_priv *x, uint32_t domid)
{
	uint64_t irq = 0, s_state = 0;

	/*
	 * As libxl's suspend decides it: no callback irq (no PV drivers),
	 * or a guest asleep in an ACPI S state, which answers nothing.
	 */
	if (xc_hvm_param_get(x->xch, domid, HVM_PARAM_CALLBACK_IRQ,
	    &irq) != 0)
		return 0;
	if (irq != 0 && xc_hvm_param_get(x->xch, domid,
	    HVM_PARAM_ACPI_S_STATE, &s_state) != 0)
		return 0;
	return irq == 0 || s_state != 0;
}

int
xen_suspend_hypercall(struct backend *be, uint32_t domid)
{
	struct xen_priv *x = be->priv;
	struct dom_info di;
	int rc;

	if ((rc = xen_check_guest(be, domid, &di)) != 0)
		return rc;
	if (di.type != DOM_TYPE_HVM) {
		log_warnx("xen: domain %u is not HVM: it suspends itself",
		    domid);
		return -EINVAL;
	}
	if (xc_domain_shutdown(x->xch, domid, SHUTDOWN_suspend) != 0) {
		rc = errno > 0 ? -errno : -EIO;
		log_warn("xen: cannot suspend domain %u", domid);
		return rc;
	}
	return 0;
}

/*
 * libxl__save_emulator_xenstore_data(): the physmap entries QEMU keeps
 * under /local/domain/0/device-model/DOMID, as key/value pairs relative
 * to that directory, each NUL-terminated.
 */
int
xen_hvm_xsdata(struct xen_priv *x, uint32_t domid, char **out,
    size_t *outlen)
{
	static const char *const sub[] = { "start_addr", "size", "name" };
	char root[64], key[256], path[320], **ents, *v;
	unsigned n = 0, i, j, len;
	char *buf = NULL;
	size_t blen = 0;
	int rc = 0;

	snprintf(root, sizeof(root), "/local/domain/0/device-model/%u",
	    domid);
	snprintf(path, sizeof(path), "%s/physmap", root);
	ents = xs_directory(x->xsh, XBT_NULL, path, &n);
	for (i = 0; ents != NULL && i < n && rc == 0; i++) {
		for (j = 0; j < sizeof(sub) / sizeof(sub[0]) && rc == 0; j++) {
			if (snprintf(key, sizeof(key), "physmap/%s/%s",
			    ents[i], sub[j]) >= (int)sizeof(key)) {
				log_warnx("xen: domain %u: physmap entry name "
				    "too long", domid);
				rc = -ENAMETOOLONG;
				break;
			}
			snprintf(path, sizeof(path), "%s/%s", root, key);
			if ((v = xs_read(x->xsh, XBT_NULL, path,
			    &len)) == NULL) {
				rc = -errno;
				log_warn("xen: cannot read %s", path);
				break;
			}
			if ((rc = xen_dm_xsdata_append(&buf, &blen, key,
			    v)) != 0)
				log_warnx("xen: domain %u's device-model keys: "
				    "%s", domid, strerror(-rc));
			free(v);
		}
	}
	free(ents);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*outlen = blen;
	return 0;
}

int
xen_hvm_resume_without_dm(struct xen_priv *x, uint32_t domid)
{
	/*
	 * What libxl_domain_resume() does after QEMU's "cont", which a dead
	 * QEMU cannot answer: the guest runs on as it did before the save
	 * with its device model gone (emulated devices no longer answer).
	 */
	int rc;

	if (xc_domain_resume(x->xch, domid, 1) != 0) {
		rc = errno > 0 ? -errno : -EIO;
		log_warnx("xen: cannot resume domain %u: %s", domid,
		    strerror(-rc));
		return rc;
	}
	if (!xs_resume_domain(x->xsh, domid))
		log_warn("xen: domain %u: xenstore resume", domid);
	if (xc_domain_unpause(x->xch, domid) != 0 && errno != EINVAL) {
		rc = errno > 0 ? -errno : -EIO;
		log_warnx("xen: domain %u resumed but cannot unpause: %s",
		    domid, strerror(-rc));
		return rc;
	}
	return 0;
}
