# smoke: the harness works end to end.  dom0 is up, xl sees Domain-0, the
# freshly built xmig runs, the xen backend lists the domains, and a PVH
# pattern guest boots and reports its memory intact.
. /dom0-lib.sh

step xl list | tee /tmp/xl-list || fail "xl list failed"
grep -q '^Domain-0 ' /tmp/xl-list || fail "xl list shows no Domain-0"

step xmig --version || fail "xmig --version failed"

# the backend as the CLI will see it: "xmig list" once it exists
step xmig --backend xen list >/tmp/xmig-list 2>&1
cat /tmp/xmig-list
if grep -q 'unknown or ambiguous command' /tmp/xmig-list; then
	say "xmig has no list command yet"
else
	grep -q Domain-0 /tmp/xmig-list || fail "xmig list shows no Domain-0"
fi
step $PROBE list >/tmp/probe-list || fail "xenbe_probe list failed"
cat /tmp/probe-list
grep -q '^DOM 0 Domain-0 running 0 pv ' /tmp/probe-list ||
	fail "backend list: no running Domain-0"
step $PROBE free || fail "backend free_memory failed"

create_guest smoke-pvh pvh
grep PATTERN "$(console_log smoke-pvh)" | tail -2
step $PROBE info $id >/tmp/probe-info || fail "backend info failed"
cat /tmp/probe-info
grep -q "^DOM $id smoke-pvh running 0 pvh " /tmp/probe-info ||
	fail "backend info: not a running PVH guest"
step $PROBE checklive $id || fail "PVH guest should be live-migratable"
step xl destroy smoke-pvh || fail "xl destroy failed"
detail "Domain-0 listed by xl and backend, PVH guest pattern OK"
