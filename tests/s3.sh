# s3.sh: start and stop a throwaway S3 store for the tests: a single-node
# Ceph cluster from Debian's packages (one monitor, one OSD keeping its
# objects in memory, radosgw with its beast frontend), every socket on
# 127.0.0.1, every file in one temporary folder, no systemd.  See
# shared/notes/ceph-radosgw.md for the facts behind the settings.
#
# For tests/run.sh (and benchmarks), which source it:
#   trap 's3_stop' EXIT    (s3_start sets no trap: the caller has its own)
#   s3_start               exports AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID
#                          AWS_SECRET_ACCESS_KEY AWS_REGION (us-east-1) and
#                          BK_TEST_S3 (the cluster's folder); or returns 1
#                          with BK_TEST_S3_WHY, one line, exported
# For tests, after lib.sh:
#   . "$TESTS/s3.sh"; need_s3    skips the whole file without the store
#   aws s3api ...          Debian's /usr/bin/aws, with --endpoint-url
#
# Sourcing defines functions (and empties s3.sh's own variables), nothing
# else.  The daemons run as the user who starts them: root or not, Ceph,
# unlike PostgreSQL, does not mind.  Each runs in the foreground of a
# session of its own, so a Ctrl-C on the terminal reaches run.sh and the
# tests, not the cluster, which s3_stop then stops with SIGKILL: the store
# is thrown away, nothing needs a clean shutdown (on a clean one a memstore
# OSD writes every object it holds to disk).  A watchdog stops the cluster
# when the shell that started it is gone without s3_stop (a SIGKILL, a
# trap that did not run).
#
# Measured on 2 cores, Debian 12, Ceph 16.2.15 (S3_START_SECONDS says it
# for each run): from s3_start to radosgw's first answer about 3 s idle,
# 4 to 5.5 s with other test suites running alongside (load 7 to 9); the
# three daemons take about 135 MiB resident once up and about 210 MiB
# after tests/1100-s3-harness.t (monitor 36, OSD 104, radosgw 80: the
# objects stay in the OSD's memory until the folder goes); s3_stop takes
# well under a second.

_s3dir=
_s3pids=
_s3watch=
# Debian's python, not a pyenv's shim that PATH may find first (slower to
# start, polled five times a second on a busy machine).
_s3py=/usr/bin/python3

# _s3_fail REASON: says why there is no store, in one line, and stops
# whatever was started.
_s3_fail() {
	BK_TEST_S3_WHY=$*
	export BK_TEST_S3_WHY
	if [ -n "$_s3dir" ] && [ -d "$_s3dir/log" ]; then
		echo "s3.sh: $*; the daemons' own words:" >&2
		for _f in "$_s3dir"/log/*.out; do
			[ -s "$_f" ] || continue
			echo "==> ${_f##*/}" >&2
			tail -3 "$_f" >&2
		done
	fi
	s3_stop
	return 1
}

# _s3_alive PID: the process exists and is not a zombie.
_s3_alive() {
	_st=$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null) &&
	    [ -n "$_st" ] && [ "$_st" != Z ]
}

# _s3_wait WHAT SECONDS CMD...: polls CMD until it succeeds, giving up
# after SECONDS or as soon as a daemon died.  The bound is generous: on a
# busy machine a step can take ten times longer than on an idle one.
_s3_wait() {
	_what=$1 _end=$(($(date +%s) + $2)); shift 2
	until "$@" >/dev/null 2>&1; do
		while read -r _p _n; do
			_s3_alive "$_p" || { _s3_fail "$_n died while starting"; return 1; }
		done <"$_s3dir/pids"
		[ "$(date +%s)" -lt "$_end" ] || { _s3_fail "$_what did not answer in $2 s"; return 1; }
		sleep 0.2
	done
}

# _s3_daemon NAME CMD...: starts CMD in a session of its own, in the
# foreground of it, output in the folder's log.
_s3_daemon() {
	_name=$1; shift
	setsid "$@" -f -c "$_s3dir/ceph.conf" </dev/null \
	    >>"$_s3dir/log/$_name.out" 2>&1 &
	_s3pids="$! $_s3pids"
	echo "$! $1" >>"$_s3dir/pids"
}

# _s3_ceph ARGS...: the ceph command line tool, against this cluster only.
_s3_ceph() {
	timeout 60 ceph -c "$_s3dir/ceph.conf" --connect-timeout 30 "$@"
}
_s3_admin() {
	timeout 120 radosgw-admin -c "$_s3dir/ceph.conf" "$@"
}

# _s3_http: radosgw answers HTTP (an anonymous ListBuckets).
_s3_http() {
	"$_s3py" -c 'import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=5)
except urllib.error.HTTPError:
    pass' "$AWS_ENDPOINT_URL/"
}

s3_stop() {
	if [ -n "$_s3watch" ]; then
		kill "$_s3watch" 2>/dev/null
		wait "$_s3watch" 2>/dev/null
	fi
	_s3watch=
	# The watchdog knows the daemons from the folder: it was started first.
	[ -n "$_s3dir" ] && [ -f "$_s3dir/pids" ] &&
	    _s3pids="$_s3pids $(cut -d' ' -f1 "$_s3dir/pids")"
	for _p in $_s3pids; do
		kill -KILL "-$_p" 2>/dev/null || kill -KILL "$_p" 2>/dev/null
	done
	# Gone for good before the folder goes (they may write to it until
	# then); a bound, not a sleep: SIGKILL is not ignored.
	_i=0
	for _p in $_s3pids; do
		while _s3_alive "$_p" && [ $_i -lt 600 ]; do
			sleep 0.1; _i=$((_i + 1))
		done
		wait "$_p" 2>/dev/null
	done
	_s3pids=
	[ -n "$_s3dir" ] && rm -rf "$_s3dir"
	_s3dir=
	return 0
}

# _s3_ports N: N free TCP ports on 127.0.0.1, held open together so they
# differ (another run may take one before us: s3_start then tries again).
_s3_ports() {
	"$_s3py" -c 'import socket, sys
s = [socket.socket() for i in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"
}

s3_start() {
	unset BK_TEST_S3 BK_TEST_S3_WHY
	for _c in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool \
	    ceph-authtool "$_s3py" setsid timeout; do
		command -v "$_c" >/dev/null 2>&1 ||
		    { _s3_fail "$_c is not installed (make deps)"; return 1; }
	done
	[ -x /usr/bin/aws ] ||
	    { _s3_fail "Debian's aws is not installed (make deps: awscli)"; return 1; }
	_s3_t0=$(date +%s.%N)
	for _try in 1 2; do
		_s3_start_once && break
		# Once more when a daemon died or did not answer: another
		# program may have taken a port between our choice and its bind.
		case ${BK_TEST_S3_WHY:-} in *" did not answer in "*|*" died while starting") ;;
		*) return 1 ;; esac
		[ $_try = 2 ] || echo "s3.sh: trying again" >&2
	done
	[ -n "${BK_TEST_S3:-}" ] || return 1
	S3_START_SECONDS=$(echo "$(date +%s.%N) $_s3_t0" | awk '{ printf "%.1f", $1 - $2 }')
	export S3_START_SECONDS
}

# s3_rss: the cluster's resident memory in MiB, all daemons together.
s3_rss() {
	_kb=0
	for _p in $_s3pids; do
		_r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$_p/status" 2>/dev/null)
		_kb=$((_kb + ${_r:-0}))
	done
	echo $((_kb / 1024))
}

_s3_start_once() {
	_s3dir=$(mktemp -d /tmp/bk-s3.XXXXXX) ||
	    { _s3_fail "cannot make a folder in /tmp"; return 1; }
	# The watchdog: when this shell is gone, the cluster goes too.
	_s3_parent=$$
	(
		while kill -0 "$_s3_parent" 2>/dev/null; do sleep 1; done
		s3_stop
	) </dev/null >/dev/null 2>&1 &
	_s3watch=$!
	mkdir "$_s3dir/log" "$_s3dir/run" "$_s3dir/crash" "$_s3dir/mon" \
	    "$_s3dir/osd" "$_s3dir/rgw" "$_s3dir/osd/0"
	set -- $(_s3_ports 2)
	[ $# = 2 ] || { _s3_fail "no free port on 127.0.0.1"; return 1; }
	_monport=$1 _rgwport=$2
	_fsid=$(cat /proc/sys/kernel/random/uuid)
	cat >"$_s3dir/ceph.conf" <<EOF
# A throwaway cluster for bk's tests (tests/s3.sh): every path in $_s3dir.
[global]
fsid = $_fsid
mon_host = v2:127.0.0.1:$_monport
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_msgr1 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
keyring = $_s3dir/keyring
run_dir = $_s3dir/run
admin_socket = $_s3dir/run/\$name.asok
pid_file = $_s3dir/run/\$name.pid
log_file = $_s3dir/log/\$name.log
log_to_stderr = false
err_to_stderr = true
crash_dir = $_s3dir/crash
mon_cluster_log_file = $_s3dir/log/cluster.log
mon_data = $_s3dir/mon/\$id
osd_data = $_s3dir/osd/\$id
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
paxos_propose_interval = 0.1
osd_crush_update_on_start = false

[osd]
osd_objectstore = memstore
# Capacity, not memory: objects take RAM as they come (about 1.5 GiB per
# GiB stored), and a larger device keeps the full ratios out of the way.
memstore_device_bytes = 17179869184

[client.rgw.bk]
# radosgw's own defaults are cephx and secure: without these, with auth
# off, it loops on get_initial_auth_request returned -13.
auth_client_required = none
ms_mon_client_mode = crc
rgw_frontends = beast endpoint=127.0.0.1:$_rgwport
rgw_data = $_s3dir/rgw
rgw_enable_lc_threads = false
rgw_gc_obj_min_wait = 60
rgw_gc_processor_period = 60
# Virtual-hosted addressing: BUCKET.localhost:PORT (libcurl takes every
# name under .localhost for the loopback itself).
rgw_dns_name = localhost
# SSE-KMS with the testing backend: key id bk-test-key, a random key of
# this cluster's; over plain http, as the store is on loopback.
rgw_crypt_s3_kms_backend = testing
rgw_crypt_s3_kms_encryption_keys = bk-test-key=$(head -c 32 /dev/urandom | base64)
rgw_crypt_require_ssl = false
EOF
	AWS_ENDPOINT_URL=http://127.0.0.1:$_rgwport
	# The monitor.
	ceph-authtool --create-keyring "$_s3dir/keyring" --gen-key -n mon. \
	    --cap mon 'allow *' >"$_s3dir/log/setup.out" 2>&1 &&
	monmaptool --create --addv a "[v2:127.0.0.1:$_monport]" \
	    --fsid "$_fsid" "$_s3dir/monmap" >>"$_s3dir/log/setup.out" 2>&1 &&
	ceph-mon -c "$_s3dir/ceph.conf" --mkfs -i a --monmap "$_s3dir/monmap" \
	    --keyring "$_s3dir/keyring" >>"$_s3dir/log/setup.out" 2>&1 ||
	    { _s3_fail "ceph-mon --mkfs failed"; return 1; }
	_s3_daemon mon.a ceph-mon -i a
	_s3_wait "the monitor" 180 _s3_ceph mon stat || return 1
	# The OSD, placed in the CRUSH map by hand.
	_uuid=$(cat /proc/sys/kernel/random/uuid)
	_id=$(_s3_ceph osd new "$_uuid" 2>>"$_s3dir/log/setup.out") &&
	    [ "$_id" = 0 ] &&
	    ceph-osd -c "$_s3dir/ceph.conf" --mkfs -i 0 --osd-uuid "$_uuid" \
	    >>"$_s3dir/log/setup.out" 2>&1 &&
	    _s3_ceph osd crush add osd.0 1.0 root=default host=localhost \
	    >>"$_s3dir/log/setup.out" 2>&1 ||
	    { _s3_fail "the OSD could not be made"; return 1; }
	_s3_daemon osd.0 ceph-osd -i 0
	_s3_wait "the OSD" 180 _s3_osd_up || return 1
	# The S3 user and the region's name, before radosgw first reads them
	# (radosgw-admin makes the default zone and zonegroup, and its pools).
	AWS_ACCESS_KEY_ID=BK$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
	AWS_SECRET_ACCESS_KEY=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
	_s3_admin user create --uid=bk --display-name="bk tests" \
	    --access-key="$AWS_ACCESS_KEY_ID" --secret-key="$AWS_SECRET_ACCESS_KEY" \
	    >>"$_s3dir/log/setup.out" 2>&1 &&
	    _s3_admin zonegroup modify --rgw-zonegroup=default \
	    --api-name=us-east-1 >>"$_s3dir/log/setup.out" 2>&1 ||
	    { _s3_fail "radosgw-admin could not make the S3 user"; return 1; }
	_s3_daemon rgw radosgw -n client.rgw.bk
	_s3_wait "radosgw" 180 _s3_http || return 1
	# The aws command line finds no ~/.aws of the user's: only these.
	printf '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n' \
	    >"$_s3dir/aws-config"
	: >"$_s3dir/aws-credentials"
	chmod 644 "$_s3dir/aws-config" "$_s3dir/aws-credentials"
	AWS_CONFIG_FILE=$_s3dir/aws-config
	AWS_SHARED_CREDENTIALS_FILE=$_s3dir/aws-credentials
	AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
	AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
	BK_TEST_S3=$_s3dir
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_CA_BUNDLE \
	    BK_TEST_S3_WHY
	export AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
	    AWS_REGION AWS_DEFAULT_REGION AWS_CONFIG_FILE \
	    AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_DISABLED AWS_PAGER \
	    BK_TEST_S3
}

# _s3_osd_up: the OSD is up and every placement group active.
_s3_osd_up() {
	_s3_ceph osd stat -f json | grep -q '"num_up_osds":1'
}

# need_s3: skips the whole file without the harness's store.  Otherwise
# it gives the test an aws configuration of its own, multipart from 8 MiB
# in 5 MiB parts (the smallest S3 allows; bk-s3 --part-size 5M), and makes
# an interrupted test (run.sh stops them with SIGTERM) leave by exit, so
# that lib.sh's EXIT trap removes $T: a shell killed by a signal runs none.
need_s3() {
	if [ -z "${BK_TEST_S3:-}" ] || [ ! -d "$BK_TEST_S3" ]; then
		skip_all "no test radosgw: ${BK_TEST_S3_WHY:-run through tests/run.sh}"
	fi
	[ -x /usr/bin/aws ] || skip_all "Debian's aws is not installed (make deps: awscli)"
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	cat >"$T/aws-config" <<EOF
[default]
region = us-east-1
s3 =
    addressing_style = path
    multipart_threshold = 8MB
    multipart_chunksize = 5MB
EOF
	AWS_CONFIG_FILE=$T/aws-config
	export AWS_CONFIG_FILE
}

# aws ARGS...: Debian's aws command line (awscli 2.9), whatever PATH says,
# against the test store.  PATH may hold another aws first (a pyenv's or
# pip's, another version with other defaults: newer ones send checksum
# headers that radosgw 16 ignores, older ones other retries), and the peer
# the tests trust is the one make deps installs.  2.9 does not read
# AWS_ENDPOINT_URL (2.13 and later do), hence --endpoint-url.
aws() {
	/usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"
}
