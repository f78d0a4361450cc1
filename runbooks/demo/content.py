"""Demo content written for OpenOps: fictional cloud operators and the runbooks they share."""

PROVIDERS = [  # (slug, name, website, status page)
    (
        "nordwolke",
        "Nordwolke Cloud",
        "https://nordwolke.example",
        "https://status.nordwolke.example/",
    ),
    ("alpenstack", "Alpenstack", "https://alpenstack.example", ""),
    (
        "hansecloud",
        "Hanse Cloud",
        "https://hansecloud.example",
        "https://status.hansecloud.example/",
    ),
]


def _md(*sections: str) -> str:
    """Join Markdown sections with one blank line between them and end with a newline."""
    return "\n\n".join(section.strip("\n") for section in sections) + "\n"


def _replace(text: str, old: str, new: str) -> str:
    """Return `text` with one fragment changed; fail loudly if the fragment is missing."""
    if old not in text:
        raise ValueError(f"fragment not found: {old!r}")
    return text.replace(old, new)


# --- OpenStack: nova-compute down ---------------------------------------------------------

NOVA_INTRO = """
The `nova-compute` service on a hypervisor has stopped reporting in. Instances on the host keep
running, but nobody can start, stop, migrate or resize them until the service is back, and the
scheduler stops placing new instances there.
"""

NOVA_MEANING = """
## Meaning

`nova-compute` writes a heartbeat to the database every `report_interval` seconds (10 by
default). When the last heartbeat is older than `service_down_time` (60 seconds), the API
reports the service as `down`. The alert fires when the service on `{{ $labels.hostname }}` has
been down for five minutes.
"""

NOVA_IMPACT = """
## Impact

- The host's capacity is gone from the scheduler; large flavors may fail with `No valid host`.
- Start, stop, reboot, resize, live migration and console requests for instances on the host
  fail or hang in a task state.
- Running workloads are unaffected unless the hypervisor itself is down. Check that first.
"""

NOVA_DIAGNOSIS_V1 = """
## Diagnosis

1. Confirm what the API sees:

```bash
nova service-list --binary nova-compute --host {{ $labels.hostname }}
```

2. Log in to the hypervisor and look at the service and its recent log:

```bash
systemctl status nova-compute
journalctl -u nova-compute --since "-30min" --no-pager | tail -n 100
```

3. Read the log for the usual suspects:
    - `AMQP server on ... is unreachable`: RabbitMQ is the problem, not the hypervisor.
    - `libvirtError: Failed to connect socket`: libvirt is down or hung.
    - `Lost connection to MySQL server`: the database or its proxy.
"""

NOVA_DIAGNOSIS = _replace(
    NOVA_DIAGNOSIS_V1,
    "nova service-list --binary nova-compute --host",
    "openstack compute service list --service nova-compute --host",
)

NOVA_MITIGATION = """
## Mitigation

1. If the service crashed or was stopped, start it and follow the log until the periodic
   resource update runs without errors:

```bash
systemctl restart nova-compute
journalctl -u nova-compute -f
```

2. If the log shows AMQP errors, check the RabbitMQ cluster before restarting anything else.
   Restarting every compute service against a broken broker only makes the reconnect storm
   worse.

```bash
rabbitmqctl cluster_status
rabbitmqctl list_queues name messages consumers | grep compute
```

3. If libvirt does not answer, fix it first; `nova-compute` will not start without it:

```bash
systemctl status libvirtd
virsh list --all
```

4. Once the service reports `up`, re-enable it if it was disabled while you worked on it:

```bash
openstack compute service set --enable {{ $labels.hostname }} nova-compute
```
"""

NOVA_EVACUATE = """
### The hypervisor is gone

If the host is powered off or unreachable and will not be back within the agreed window,
evacuate its instances to other hypervisors.

**Fence the host first.** Evacuating instances while their old host still runs them on shared
storage (Ceph RBD) means two VMs write to the same disk, and that disk will be corrupted.

```bash
HOST={{ $labels.hostname }}
ipmitool -I lanplus -H "$HOST-ipmi" -U "$IPMI_USER" -P "$IPMI_PASSWORD" chassis power off
openstack compute service set --disable --disable-reason "evacuation" "$HOST" nova-compute
openstack --os-compute-api-version 2.11 compute service set --down "$HOST" nova-compute
```

Then rebuild the instances elsewhere; the scheduler picks the target hosts:

```bash
openstack server list --all-projects --host "$HOST" -f value -c ID |
  while read -r id; do openstack server evacuate "$id"; done
```
"""

NOVA_ESCALATION = """
## Escalation

- Several compute services went down at the same time: this is a control plane problem
  (RabbitMQ, database, `nova-conductor`). Page the OpenStack on-call instead of fixing hosts
  one by one.
- An evacuation failed or left instances in `ERROR`: open an incident and tell the affected
  project owners before retrying.
- The host was fenced: file a hardware ticket with the console log and the IPMI event log
  (`ipmitool sel list`).
"""

# --- OpenStack: OVN controller agent down --------------------------------------------------

OVN_INTRO = """
Neutron shows the `ovn-controller` on each chassis as an "OVN Controller agent". When that agent
is down, the chassis stops receiving updates from the OVN southbound database: traffic that is
already flowing keeps working, but nothing new is programmed on that host.
"""

OVN_MEANING = """
## Meaning

Neutron bumps a sequence number (`nb_cfg`) in the northbound database, and every
`ovn-controller` acknowledges it in the southbound `Chassis_Private` table. If the chassis on
`{{ $labels.hostname }}` has not caught up within `agent_down_time`, `openstack network agent list`
shows it as dead and the alert fires.
"""

OVN_IMPACT = """
## Impact

- New ports on the host are not bound: instances boot without network or stay in `BUILD`.
- Security group, floating IP and router changes are not applied on that host.
- If the host is a gateway chassis, routers whose active gateway lives there lose external
  connectivity until OVN moves them to the next chassis in the priority list.
"""

OVN_DIAGNOSIS = """
## Diagnosis

```bash
openstack network agent list --host {{ $labels.hostname }}
```

On the chassis itself:

```bash
systemctl status ovn-controller
ovn-appctl -t ovn-controller connection-status
ovs-vsctl get open_vswitch . external_ids:ovn-remote external_ids:system-id
journalctl -u ovn-controller --since "-1h" --no-pager | grep -iE "error|reconnect|timeout"
```

`connection-status` should say `connected`. If it does not, check that the host reaches the
southbound database on TCP 6642 and that its client certificate has not expired.
"""

OVN_SB_CLUSTER = """
### Many chassis at once

If the alert fires for more than a handful of hosts together, the problem is almost certainly
the southbound database, not the chassis. Check the Raft cluster on each database node:

```bash
ovn-appctl -t /var/run/ovn/ovnsb_db.ctl cluster/status OVN_Southbound
```

Every member should report the same term and agree on one leader. A member stuck as
`candidate`, or one whose log keeps growing without being committed, needs attention before any
chassis does.
"""

OVN_MITIGATION = """
## Mitigation

1. Restart the controller. It resyncs the whole southbound state, which takes seconds on a quiet
   compute node and up to a minute on a busy gateway:

```bash
systemctl restart ovn-controller
ovn-appctl -t ovn-controller connection-status
```

2. Check that Neutron sees the agent alive again and that no ports on the host are left
   `DOWN`:

```bash
openstack network agent list --host {{ $labels.hostname }} -c Alive -c State
openstack port list --host {{ $labels.hostname }} --status DOWN
```
"""

OVN_GATEWAY = """
### Gateway chassis

Check whether the host carries active router gateways. If it does and the controller does not
come back within a few minutes, move them away by lowering the host's priority instead of
waiting for the failover:

```bash
ovn-sbctl --columns=logical_port,chassis find Port_Binding type=chassisredirect
ovn-nbctl lrp-get-gateway-chassis $LRP_NAME
ovn-nbctl lrp-set-gateway-chassis $LRP_NAME $CHASSIS_NAME 1
```

Neutron reschedules gateways whenever chassis come and go, so treat this as a stop-gap and note
in the incident what you changed.
"""

OVN_ESCALATION = """
## Escalation

Page the Nordwolke network on-call (`#nw-network-oncall`) if the southbound cluster has no
leader, or if gateway routers did not fail over within five minutes.
"""

# --- OpenStack: Keystone token validation ------------------------------------------------

KEYSTONE_INTRO = """
Users and services get `401 Unauthorized` for tokens that should be valid. It usually shows up
first as flapping errors in Horizon and in Terraform pipelines, then as Nova or Cinder failing
to validate the tokens they are handed.
"""

KEYSTONE_MEANING = """
## Meaning

The alert compares the rate of `401` and `404` responses on token validation with the rate of
issued tokens. A ratio above 5% for ten minutes means tokens are issued and then rejected.
That almost always points at the token setup on the Keystone nodes, not at users typing the
wrong password.
"""

KEYSTONE_IMPACT = """
## Impact

Everything that talks to the API is affected: CLI users, Horizon, CI pipelines and the services
themselves. Heat stacks and Octavia load balancers that are in the middle of an operation may
end up in an error state.
"""

KEYSTONE_TABLE_V1 = """
## Diagnosis

Match the symptom to the most likely cause before touching anything:

| Symptom | Likely cause | First check |
|---|---|---|
| Every second or third request fails | Fernet keys differ between nodes | Key checksums |
| Only tokens older than a few minutes fail | Keys rotated too often | `max_active_keys` |
| All requests fail, including token issue | Database or LDAP backend | `keystone.log` |
| Validation is slow, then times out | Memcached unreachable | `memcached` status |
"""

KEYSTONE_CLOCK_ROW = (
    "| Tokens from one node fail on the others | Clock skew | `chronyc tracking` |\n"
)

KEYSTONE_TABLE = _replace(
    KEYSTONE_TABLE_V1, "| Validation is slow", KEYSTONE_CLOCK_ROW + "| Validation is slow"
)

KEYSTONE_CHECKS = """
Compare the Fernet key repositories. Every node must have the same files with the same content:

```bash
for node in $KEYSTONE_NODES; do
  echo "== $node"; ssh "$node" 'sha256sum /etc/keystone/fernet-keys/*'
done
```

Reproduce the failure from outside. A mix of `200` and `404` means some nodes cannot decrypt
tokens that others issued:

```bash
TOKEN=$(openstack token issue -f value -c id)
HDRS=(-H "X-Auth-Token: $TOKEN" -H "X-Subject-Token: $TOKEN")
for i in $(seq 1 10); do
  curl -s -o /dev/null -w '%{http_code} ' "${HDRS[@]}" "$OS_AUTH_URL/auth/tokens"
done; echo
```
"""

KEYSTONE_CLOCK = """
Check the time on every Keystone node. Fernet tokens carry their issue time, and a node whose
clock is off by more than a few seconds rejects tokens from its peers:

```bash
chronyc tracking | grep -E "System time|Leap status"
chronyc sources -v
```
"""

KEYSTONE_MITIGATION = """
## Mitigation

1. Take the key repository of the node that runs the rotation as the reference. At Alpenstack
   that is `ctl-a1`, where `keystone-fernet-rotate.timer` is enabled. Copy it to the others:

```bash
for node in $KEYSTONE_NODES; do
  rsync -a --delete /etc/keystone/fernet-keys/ "$node":/etc/keystone/fernet-keys/
  ssh "$node" chown -R keystone:keystone /etc/keystone/fernet-keys
done
```

2. Reload the Keystone WSGI processes so they read the keys again (`systemctl reload apache2`,
   or restart the `keystone` container).
3. Make sure that only one node rotates keys and that the others are synced right after.
   Two nodes running `keystone-manage fernet_rotate` independently is the classic cause of
   this alert.
"""

# --- OpenStack: Octavia amphora failover ---------------------------------------------------

OCTAVIA_INTRO = """
An Octavia amphora is in `ERROR`, or a load balancer has been stuck in a `PENDING_*`
provisioning status. Tenants notice it as a load balancer they can no longer change or, worse,
as a VIP that stopped answering.
"""

OCTAVIA_MEANING = """
## Meaning

Every amphora sends a UDP heartbeat to the health managers every few seconds. When heartbeats
stop for longer than `heartbeat_timeout`, a health manager starts a failover: it builds a new
amphora, moves the VIP port over and deletes the old one. The alert fires when an amphora stays
in `ERROR` or a load balancer stays in `PENDING_UPDATE` for more than 15 minutes, which means
that failover did not finish.
"""

OCTAVIA_IMPACT = """
## Impact

- Standalone topology: the VIP is down until a new amphora is up.
- Active/standby topology: traffic continues on the remaining amphora, but there is no
  redundancy left.
- The tenant cannot change listeners, pools or members while the load balancer is in a
  `PENDING_*` state.
"""

OCTAVIA_DIAGNOSIS = """
## Diagnosis

```bash
openstack loadbalancer show $LB_ID -c provisioning_status -c operating_status
openstack loadbalancer amphora list --loadbalancer $LB_ID
openstack loadbalancer amphora show $AMPHORA_ID
```

Then look at what the controllers did with it:

```bash
journalctl -u octavia-health-manager --since "-1h" --no-pager | grep "$AMPHORA_ID"
journalctl -u octavia-worker --since "-1h" --no-pager | grep -E "$LB_ID|$AMPHORA_ID"
```

If heartbeats are missing from *all* amphorae, check the management network: the health
managers must receive UDP 5555 from `lb-mgmt-net`.
"""

OCTAVIA_IMAGE = """
### Check the image before a failover

A failover builds the new amphora from the image tagged with `amp_image_tag` and the flavor in
`amp_flavor_id`. If the image was just replaced by a broken build, every failover fails and you
lose the remaining amphora as well. Check before you start:

```bash
openstack image list --tag amphora --long --sort created_at:desc
openstack loadbalancer amphora list --status ERROR -c id -c loadbalancer_id
```

If several amphorae built in the last hour are already in `ERROR`, stop and escalate instead of
failing over more load balancers.
"""

OCTAVIA_MITIGATION = """
## Mitigation

Trigger the failover yourself once you understand the cause:

```bash
openstack loadbalancer amphora failover $AMPHORA_ID
openstack loadbalancer failover $LB_ID
```

The first command replaces one amphora, the second rebuilds all amphorae of the load balancer.
Watch the provisioning status go back to `ACTIVE`:

```bash
watch -n 10 openstack loadbalancer show $LB_ID -c provisioning_status
```
"""

OCTAVIA_PENDING = """
### Stuck in PENDING_UPDATE

A load balancer stays in `PENDING_*` when the worker that owned the flow died. With the
jobboard enabled, restarting the worker lets another worker pick the flow up again:

```bash
systemctl restart octavia-worker
```

Without the jobboard the flow is lost. Only then set the status by hand, and only after making
sure that no worker is still busy with it:

```console
MariaDB [octavia]> UPDATE load_balancer SET provisioning_status = 'ERROR' WHERE id = '$LB_ID';
Query OK, 1 row affected (0.003 sec)
```

Then run the failover from above. Never set the status straight to `ACTIVE`: Octavia would then
treat a half-built load balancer as healthy.
"""

OCTAVIA_ESCALATION = """
## Escalation

Call the Alpenstack load balancing on-call (`#as-lbaas`) if:

1. more than three load balancers are affected at once,
2. a failover ends in `ERROR` twice for the same load balancer, or
3. the health managers cannot reach the management network.
"""

# --- OpenStack: Cinder volume stuck in deleting ------------------------------------------

CINDER_INTRO = """
A Cinder volume has been in `deleting` for a long time. The tenant cannot get rid of it and it
still counts against their quota. Written for our Train deployment, where the backend is Ceph
RBD, so the cause is nearly always on the Ceph side.
"""

CINDER_MEANING = """
## Meaning

`cinder-volume` accepted the delete request but never reported back. Either the RBD image could
not be removed (it still has watchers, snapshots or clones), or the `cinder-volume` process
handling it restarted in the middle of the operation.
"""

CINDER_DIAGNOSIS = """
## Diagnosis

```bash
openstack volume show $VOLUME_ID -c status -c updated_at -c os-vol-host-attr:host
rbd -p volumes status volume-$VOLUME_ID
rbd -p volumes snap ls volume-$VOLUME_ID
rbd -p volumes children volume-$VOLUME_ID
```

- A watcher means some client still has the image open, usually a hypervisor where the detach
  never completed. The watcher address tells you which one.
- Protected snapshots with children mean other volumes or images were cloned from this one;
  RBD refuses to delete it until they are flattened or gone.
"""

CINDER_WATCHER = """
### Stale watcher

If the hypervisor that holds the watch no longer runs the instance (for example after a failed
live migration), blacklist the client address. The watch disappears within 30 seconds:

```bash
ceph osd blacklist add $WATCHER_ADDR
rbd -p volumes status volume-$VOLUME_ID
```
"""

CINDER_MITIGATION = """
## Mitigation

1. If there is a watcher, find the instance on that hypervisor and make sure the volume is
   really detached there (`virsh domblklist $INSTANCE_NAME`).
2. Put the volume back into `error` and delete it again:

```bash
cinder reset-state --state error $VOLUME_ID
cinder delete $VOLUME_ID
```

3. If the image is already gone from Ceph and only the database record is left:

```bash
cinder force-delete $VOLUME_ID
```
"""

# --- Ceph: OSD down -----------------------------------------------------------------------

CEPH_OSD_INTRO = """
One or more Ceph OSDs are marked `down`. Ceph keeps serving I/O from the remaining replicas, but
the affected placement groups run degraded until the OSD is back or its data has been recovered
elsewhere.
"""

CEPH_OSD_MEANING = """
## Meaning

An OSD is marked `down` when its peers stop receiving heartbeats from it and report this to the
monitors. After `mon_osd_down_out_interval` (10 minutes by default) a down OSD is also marked
`out`, and Ceph starts copying its data to other OSDs.
"""

CEPH_OSD_IMPACT = """
## Impact

- PGs on the OSD are `degraded`; with a pool size of 3 there are two copies left.
- A second failure in another failure domain can make PGs `inactive` and block client I/O for
  RBD volumes, RGW buckets and CephFS.
- Once the OSD is `out`, recovery traffic competes with client traffic and latency goes up.
"""

CEPH_OSD_DIAGNOSIS = """
## Diagnosis

1. Find out which OSDs are down and where they live; the alert names `$OSD`:

```bash
ceph health detail
ceph osd tree down
ceph osd find $OSD
```

2. On that host (`$HOST`), check the daemon and its log. The systemd unit carries the OSD's
   number, the part of its name after `osd.`:

```bash
OSD=$OSD
systemctl status "ceph-osd@${OSD#osd.}"
journalctl -u "ceph-osd@${OSD#osd.}" --since "-1h" --no-pager | tail -n 50
```

3. Check the disk behind the OSD. Read errors in the kernel log mean the drive is failing. The
   alert does not know the disk: `ceph-volume lvm list` names it under `devices`, and that is
   the `$DEVICE` to give `smartctl`:

```bash
ceph-volume lvm list | grep -A15 "= $OSD ="
dmesg -T | grep -iE "i/o error|medium error|critical medium"
smartctl -a /dev/$DEVICE
```
"""

CEPH_OSD_CEPHADM = """
On clusters deployed with cephadm the daemons run in containers, and the systemd units carry the
cluster FSID:

```bash
ceph orch ps --daemon-type osd --hostname $HOST
cephadm logs --name $OSD -- --since "-1h"
systemctl status "ceph-*@$OSD"
```
"""

CEPH_OSD_MITIGATION = """
## Mitigation

1. If the daemon crashed and the disk is healthy, start it again and watch the PGs recover:

```bash
OSD=$OSD
systemctl start "ceph-osd@${OSD#osd.}"
ceph -w
```

2. If it crashes again right away, read `ceph crash ls` and the end of the log before trying a
   third time. A crash loop on a healthy disk is worth a bug report.
3. If the disk is failing, leave the OSD `down` and mark it `out` now, so recovery starts
   immediately instead of after the timeout. Then plan the replacement:

```bash
ceph osd out $OSD
ceph osd safe-to-destroy $OSD
```
"""

CEPH_OSD_REPLACE = """
With cephadm, let the orchestrator drain and remove the OSD while keeping its ID for the new
disk:

```bash
OSD=$OSD
ceph orch osd rm "${OSD#osd.}" --replace
ceph orch osd rm status
```
"""

CEPH_OSD_NOOUT = """
### Planned maintenance

If you take a host down on purpose, set `noout` on it first, so that Ceph does not start moving
data because of a reboot that takes five minutes. Remove the flag afterwards:

```bash
ceph osd set-group noout $HOST
ceph osd unset-group noout $HOST
```
"""

CEPH_OSD_ESCALATION = """
## Escalation

- More than one host, or more than 10% of all OSDs, down: page the storage on-call right away.
- Any PG `inactive` or `incomplete` (`ceph pg ls inactive`): client I/O is blocked. Page the
  storage on-call and open an incident.
"""

# --- Ceph: PG inconsistent ----------------------------------------------------------------

CEPH_PG_INTRO = """
A deep scrub found placement groups whose replicas disagree. Ceph reports `HEALTH_ERR` with
`OSD_SCRUB_ERRORS` and `PG_DAMAGED`, but client I/O continues as usual.
"""

CEPH_PG_MEANING = """
## Meaning

A deep scrub reads every object of a PG on all replicas and compares checksums. A mismatch marks
the PG `inconsistent`. The usual cause is a single disk returning bad data; less often it is a
bug or an old unclean shutdown.
"""

CEPH_PG_IMPACT = """
## Impact

None for clients right now. But the PG has one trustworthy copy fewer, and if the disk behind
the bad copy is failing, more errors will follow.
"""

CEPH_PG_DIAGNOSIS = """
## Diagnosis

```bash
ceph health detail | grep -E "inconsistent|scrub errors"
rados list-inconsistent-obj $PG_ID --format=json-pretty
```

Look at the `errors` of each shard in the output. The shard with a `read_error`, or the one
whose `data_digest` differs from the others, is the bad copy. Note its OSD and check that disk:

```bash
ceph osd find $OSD_ID
smartctl -a /dev/$DEVICE | grep -iE "reallocated|pending|uncorrectable"
```
"""

CEPH_PG_MITIGATION = """
## Mitigation

1. Repair the PG. Ceph rewrites the bad shard from the good copies:

```bash
ceph pg repair $PG_ID
```

2. Watch the repair finish and the error count go down:

```bash
ceph -w | grep "$PG_ID"
ceph health detail
```

3. If the same OSD shows up in several inconsistent PGs, or `smartctl` lists pending sectors,
   replace the disk (see the "Ceph OSD down" runbook).
"""

CEPH_PG_DETAILS = """
<details>
<summary>Why not run a repair on every inconsistent PG right away?</summary>

<p>A repair trusts the copy that Ceph considers authoritative. On BlueStore that choice is based
on checksums and is safe. On old FileStore OSDs it was simply the primary, which could be the
broken copy, and a blind repair spread the bad data to the healthy replicas.</p>

<p>Even on BlueStore, a repair only hides the symptom while the disk keeps failing. Read the
shard errors first, so that you know which disk to replace:</p>

```bash
rados list-inconsistent-obj $PG_ID --format=json-pretty | jq '.inconsistents[].shards'
```

</details>
"""

# --- Ceph: nearfull / full OSDs -----------------------------------------------------------

CEPH_FULL_INTRO = """
One or more OSDs have crossed the `nearfull` ratio. Nothing breaks yet, but a Ceph cluster that
reaches `full` stops accepting writes, and that freezes every VM writing to an RBD volume.
"""

CEPH_FULL_MEANING = """
## Meaning

Ceph checks the fill level of every single OSD, not of the cluster as a whole, so the fullest
OSD decides:

| Ratio | Default | What happens |
|---|---|---|
| `nearfull_ratio` | 0.85 | `HEALTH_WARN`, nothing else |
| `backfillfull_ratio` | 0.90 | Backfill and recovery onto this OSD stop |
| `full_ratio` | 0.95 | Writes to pools on this OSD are blocked |
"""

CEPH_FULL_IMPACT = """
## Impact

At `nearfull`, none. At `backfillfull`, degraded PGs cannot recover onto the full OSD, so a disk
failure takes longer to heal. At `full`, client writes block and VMs hang on I/O.
"""

CEPH_FULL_DIAGNOSIS = """
## Diagnosis

```bash
ceph osd df tree
ceph df detail
ceph balancer status
```

Answer three questions:

1. Is one OSD much fuller than the rest (`%USE` spread of more than 10 points)? Then it is a
   balancing problem, not a capacity problem.
2. Did a pool grow suddenly (`STORED` in `ceph df detail`)? Find the project behind it.
3. Is the balancer on, and in `upmap` mode?
"""

CEPH_FULL_MITIGATION = """
## Mitigation

For an imbalance, let the balancer fix it, or nudge the fullest OSDs by hand. Always look at the
dry run first:

```bash
ceph balancer mode upmap
ceph balancer on
ceph osd test-reweight-by-utilization 110
ceph osd reweight-by-utilization 110
```

For a real capacity problem, add OSDs. Nordwolke policy is to order new storage nodes as soon as
raw usage passes 70%: delivery and burn-in take four weeks.
"""

CEPH_FULL_EMERGENCY = """
### The cluster is already full

Raise the full ratio slightly to get writes going again, delete or move data, then set it back.
This buys minutes, not days:

```bash
ceph osd set-full-ratio 0.96
ceph osd set-backfillfull-ratio 0.92
# once space has been freed:
ceph osd set-full-ratio 0.95
ceph osd set-backfillfull-ratio 0.90
```
"""

# --- Ceph: slow ops -----------------------------------------------------------------------

CEPH_SLOW_INTRO = """
Ceph reports `SLOW_OPS`: requests that have been waiting on an OSD or monitor for more than 30
seconds. Clients feel this immediately as I/O stalls inside their VMs.
"""

CEPH_SLOW_MEANING = """
## Meaning

Every OSD tracks the operations it is working on. An operation older than
`osd_op_complaint_time` (30 seconds) is reported as slow. A single slow OSD is enough to stall
writes for every PG it belongs to, because a write only completes once all replicas have it.
"""

CEPH_SLOW_IMPACT = """
## Impact

VMs with volumes on the affected PGs hang on I/O. Databases inside them time out, and
Kubernetes nodes whose disks live there can go `NotReady`.
"""

CEPH_SLOW_DIAGNOSIS = """
## Diagnosis

1. Find the daemons that report slow ops, and the OSDs with the highest latency:

```bash
ceph health detail | grep -i slow
ceph osd perf | sort -nk2 | tail
```

2. Look at what the OSD the alert names (`$OSD`, or the slowest one above) is waiting for:

```bash
ceph tell $OSD dump_ops_in_flight
ceph tell $OSD dump_historic_slow_ops
```

The `flag_point` of the oldest operations tells you where they wait:

- `waiting for sub ops`: a replica is slow. Look at the other OSDs of the PG.
- `waiting for rw locks` or `delayed`: the PG is busy, often because of recovery.

3. Check the disk and the storage network on that host. If the large ping fails while a normal
   one works, continue with the MTU runbook:

```bash
iostat -x 5 3
ping -M do -s 8972 -c 5 $PEER_STORAGE_IP
```
"""

CEPH_SLOW_MITIGATION = """
## Mitigation

1. One OSD much slower than its peers: restart it. If it stays slow, mark it `out` and replace
   the disk.

```bash
ceph orch daemon restart $OSD
ceph osd out $OSD
```

2. Slow ops during recovery: give client I/O priority.

```bash
ceph config set osd osd_mclock_profile high_client_ops
```
"""

CEPH_SLOW_OLD_RELEASES = """
On clusters older than Quincy there is no mClock scheduler; throttle recovery directly and
revert the settings once the cluster is `HEALTH_OK`:

```bash
ceph config set osd osd_max_backfills 1
ceph config set osd osd_recovery_max_active 1
ceph config set osd osd_recovery_sleep_hdd 0.1
```
"""

# --- Ceph: MON quorum (Hanse Cloud internal) ----------------------------------------------

CEPH_MON_INTRO = """
The monitors of our storage cluster `hc-ceph-ham1` have lost quorum, or are one failure away
from losing it. Without quorum no client can connect, no OSD can join, and every `ceph`
command hangs.
"""

CEPH_MON_MEANING = """
## Meaning

Monitors need a majority to form a quorum: two of the three MONs on `hc-ceph-mon01` to
`hc-ceph-mon03`. `CephMonQuorumAtRisk` fires when only that bare majority is left. If the
exporter on the active MGR stops answering altogether, quorum is probably already gone.
"""

CEPH_MON_IMPACT = """
## Impact

- At risk: no impact yet, but the next MON failure stops the cluster.
- Lost: established client sessions may keep working for a while, but new connections, VM
  boots, volume attachments and OSD restarts all fail. Treat it as a full storage outage.
"""

CEPH_MON_DIAGNOSIS = """
## Diagnosis

`ceph` commands hang without quorum, so ask each monitor directly through its admin socket, on
each MON host:

```bash
cephadm shell --name mon.$MON_ID -- ceph daemon mon.$MON_ID mon_status
```

Look at `state` (`leader`, `peon`, `probing`, `electing`) and `outside_quorum`. Then check every
MON that is not in the quorum:

```bash
systemctl status ceph-$FSID@mon.$MON_ID
df -h /var/lib/ceph/$FSID/mon.$MON_ID
chronyc tracking
```

Common causes:

1. The disk holding the MON store is full. A monitor shuts itself down when free space drops
   below `mon_data_avail_crit` (5%).
2. Clock skew above `mon_clock_drift_allowed` (0.05 s) makes elections flap.
3. The MONs cannot reach each other on TCP 3300 and 6789, for example after a firewall change.
"""

CEPH_MON_MITIGATION = """
## Mitigation

1. Fix the cause on the failed MON (free disk space, fix the time, restore the network), then
   start it:

```bash
systemctl start ceph-$FSID@mon.$MON_ID
```

2. As soon as commands answer again, confirm the quorum from any MON host:

```bash
ceph quorum_status -f json-pretty | jq '.quorum_names'
```
"""

CEPH_MON_MONMAP = """
### Last resort: shrink the monmap

Only when a majority of MONs is lost for good, and only after the storage on-call lead has
agreed. This removes the dead MONs from the map of the one surviving MON, so it can form a
quorum on its own. Stop the surviving MON first, then:

```console
# cephadm shell --name mon.$MON_ID
[ceph: root@hc-ceph-mon01 /]# ceph-mon -i $MON_ID --extract-monmap /tmp/monmap
[ceph: root@hc-ceph-mon01 /]# monmaptool --print /tmp/monmap
[ceph: root@hc-ceph-mon01 /]# monmaptool --rm $DEAD_MON_A /tmp/monmap
[ceph: root@hc-ceph-mon01 /]# monmaptool --rm $DEAD_MON_B /tmp/monmap
[ceph: root@hc-ceph-mon01 /]# ceph-mon -i $MON_ID --inject-monmap /tmp/monmap
```

Start the MON, confirm it is `leader`, then redeploy the other two with `ceph orch`.
"""

CEPH_MON_ESCALATION = """
## Escalation

Lost quorum is always a page for the Hanse Cloud storage on-call (`#hc-storage-oncall`, phone
rota in the on-call tool). Tell the status page team within 15 minutes.
"""

# --- Kubernetes: node NotReady ------------------------------------------------------------

K8S_NODE_INTRO = """
A Kubernetes node reports `NotReady`, or has stopped reporting at all. The control plane stops
scheduling pods to it and, after a grace period, evicts the pods it runs.
"""

K8S_NODE_MEANING = """
## Meaning

The kubelet renews its node lease every 10 seconds. If the lease is not renewed within
`node-monitor-grace-period` (40 seconds by default), the node controller sets the `Ready`
condition to `Unknown`. A kubelet that is alive but unhealthy sets `Ready=False` itself, for
example when the container runtime is down. The alert fires after 15 minutes in either state.
"""

K8S_NODE_IMPACT = """
## Impact

- No new pods are scheduled to `$NODE`.
- After five minutes the node gets the `node.kubernetes.io/unreachable` taint, and pods without
  a matching toleration are evicted. StatefulSet pods are *not* recreated elsewhere until the
  node is confirmed gone, so those workloads stay down.
"""

K8S_NODE_DIAGNOSIS = """
## Diagnosis

```bash
kubectl get node $NODE -o wide
kubectl describe node $NODE | sed -n '/Conditions:/,/Addresses:/p'
```

If the conditions show `MemoryPressure`, `DiskPressure` or `PIDPressure`, the kubelet is alive
and telling you what is wrong. If they all show `Unknown`, the kubelet has stopped talking to
the API server. Log in to the node:

```bash
systemctl status kubelet containerd
journalctl -u kubelet --since "-30min" --no-pager | grep -iE "error|fail" | tail -n 30
crictl ps | head
df -h /var/lib/kubelet /var/lib/containerd
```
"""

K8S_NODE_DRAIN_V1 = """
3. If the node cannot be reached at all, cordon and drain it so that workloads move:
"""

K8S_NODE_DRAIN = """
3. If the node is not back within 15 minutes, cordon and drain it. Draining an unreachable node
   only deletes the pod objects; it does not stop containers that may still run there. Fence
   the machine first if its pods use `ReadWriteOnce` volumes:
"""

K8S_NODE_MITIGATION_HEAD = """
## Mitigation

1. Restart the container runtime, then the kubelet, if either has stopped:

```bash
systemctl restart containerd
systemctl restart kubelet
```

2. For `DiskPressure`, free space by pruning unused images:

```bash
crictl rmi --prune
```
"""

K8S_NODE_DRAIN_COMMANDS = """
```bash
kubectl cordon $NODE
kubectl drain $NODE --ignore-daemonsets --delete-emptydir-data --timeout=5m
```
"""

K8S_NODE_MITIGATION_V1 = _md(K8S_NODE_MITIGATION_HEAD, K8S_NODE_DRAIN_V1, K8S_NODE_DRAIN_COMMANDS)
K8S_NODE_MITIGATION = _md(K8S_NODE_MITIGATION_HEAD, K8S_NODE_DRAIN, K8S_NODE_DRAIN_COMMANDS)

K8S_NODE_CAPI = """
### Replace the node with Cluster API

On SCS clusters managed by Cluster API, a broken worker is cheaper to replace than to repair.
Delete its `Machine` in the management cluster and the `MachineDeployment` creates a new one:

```bash
kubectl -n $CLUSTER_NAMESPACE get machines -o wide | grep $NODE
kubectl -n $CLUSTER_NAMESPACE delete machine $MACHINE
```

If a `MachineHealthCheck` is configured it does this for you after its timeout. Check that it is
not blocked because too many machines are unhealthy (`maxUnhealthy`):

```bash
kubectl -n $CLUSTER_NAMESPACE get machinehealthchecks
```
"""

K8S_NODE_ESCALATION = """
## Escalation

- More than one node `NotReady` at once: look at the control plane and the underlying cloud
  (hypervisors, network) before touching nodes, and page the platform on-call.
- Control plane nodes: never drain or delete them without the platform on-call; etcd quorum
  depends on them.
"""

# --- Kubernetes: pod crash-looping --------------------------------------------------------

K8S_CRASH_INTRO = """
A container keeps exiting and the kubelet keeps restarting it, with a growing back-off of up to
five minutes between attempts.
"""

K8S_CRASH_MEANING = """
## Meaning

`KubePodCrashLooping` fires when container `{{ $labels.container }}` of pod
`{{ $labels.namespace }}/{{ $labels.pod }}` has been waiting in `CrashLoopBackOff` for 15
minutes.
"""

K8S_CRASH_IMPACT = """
## Impact

It depends on the workload. One crash-looping replica of a Deployment with enough replicas is
harmless; a crash-looping singleton (an operator, a database primary, a CoreDNS with one
replica) is an outage of everything that depends on it.
"""

K8S_CRASH_DIAGNOSIS = """
## Diagnosis

```bash
kubectl -n $NAMESPACE get pod $POD -o wide
kubectl -n $NAMESPACE describe pod $POD
kubectl -n $NAMESPACE logs $POD -c $CONTAINER --previous --tail=100
kubectl -n $NAMESPACE get events --field-selector involvedObject.name=$POD
```

`--previous` shows the log of the instance that crashed, which is the one you want. The exit
code under `Last State: Terminated` in `describe` narrows it down:

| Exit code | Usual meaning |
|---|---|
| 1 | Application error: read the log |
| 126, 127 | Command not executable or not found: wrong image or entrypoint |
| 137 | Killed with SIGKILL; with `Reason: OOMKilled` it hit the memory limit |
| 139 | Segmentation fault |
| 143 | Stopped with SIGTERM, often after a failed liveness probe |
"""

K8S_CRASH_MITIGATION = """
## Mitigation

1. Did it start after a rollout? Roll back first, debug later:

```bash
kubectl -n $NAMESPACE rollout history deployment/$DEPLOYMENT
kubectl -n $NAMESPACE rollout undo deployment/$DEPLOYMENT
```

2. `OOMKilled`: raise the memory limit, or find out why memory use grew.
3. Liveness probe failures during start-up: add a `startupProbe` rather than stretching
   `initialDelaySeconds`.
4. A missing `ConfigMap` or `Secret`, or a dependency that is not up yet: fix that, and the pod
   recovers by itself on its next restart.
"""

K8S_CRASH_DEBUG = """
### Debug a container that exits too fast

If the container dies before you can look inside, start a copy of the pod with a shell instead
of the normal entrypoint:

```bash
kubectl -n $NAMESPACE debug $POD -it --copy-to=$POD-debug --container=$CONTAINER -- sh
```

Delete the copy when you are done: `kubectl -n $NAMESPACE delete pod $POD-debug`.
"""

# --- Kubernetes: etcd ----------------------------------------------------------------------

ETCD_INTRO = """
etcd, the datastore behind the Kubernetes API, has lost its leader or is too slow to commit
writes. On Alpenstack managed clusters etcd runs on the three control plane nodes of each
cluster.
"""

ETCD_MEANING = """
## Meaning

- `etcdNoLeader`: a member has no leader. While that lasts, the member cannot serve writes.
- `etcdHighFsyncDurations`: the 99th percentile of WAL fsync time is above 0.5 seconds. etcd
  writes every change to disk before acknowledging it, so a slow disk means slow API writes
  and, at worst, missed heartbeats and new leader elections.
"""

ETCD_IMPACT = """
## Impact

Without a leader the Kubernetes API cannot write: no deployments, no scaling, no leader
election for controllers. Running pods keep running. With high latency the API is slow and
controllers fall behind.
"""

ETCD_DIAGNOSIS = """
## Diagnosis

On a control plane node:

```bash
export ETCDCTL_API=3
export ETCDCTL_CACERT=/etc/kubernetes/pki/etcd/ca.crt
export ETCDCTL_CERT=/etc/kubernetes/pki/etcd/healthcheck-client.crt
export ETCDCTL_KEY=/etc/kubernetes/pki/etcd/healthcheck-client.key
export ETCDCTL_ENDPOINTS=https://$CP1:2379,https://$CP2:2379,https://$CP3:2379

etcdctl endpoint status -w table
etcdctl endpoint health -w table
etcdctl alarm list
```

Compare the fsync latency of the members in Prometheus:

```promql
histogram_quantile(0.99, sum by (instance, le) (
  rate(etcd_disk_wal_fsync_duration_seconds_bucket{job="etcd"}[5m])
))
```

Our control plane nodes use the `SCS-4V-16-50s` flavor with local SSD. If one member is slow and
the others are fine, check its hypervisor for a noisy neighbour or a failing disk.
"""

ETCD_MITIGATION = """
## Mitigation

1. Database close to its quota (`etcdctl alarm list` shows `NOSPACE`): compact, then defragment
   one member at a time, the leader last:

```bash
REV=$(etcdctl endpoint status -w json | jq '.[0].Status.header.revision')
etcdctl compact "$REV"
etcdctl defrag --endpoints=https://$CP1:2379
etcdctl alarm disarm
```

2. One slow member: live-migrate the VM to another hypervisor, or replace the node through
   Cluster API.
3. Leader elections flapping on all members: look at the network between the control plane
   nodes, not at the disks.
"""

ETCD_ESCALATION = """
## Escalation

Never remove more than one etcd member at a time. With three members, losing two means losing
quorum, and the cluster has to be restored from backup. If a second member looks unhealthy,
stop and call the Alpenstack Kubernetes on-call (`#as-k8s-oncall`).
"""

# --- Kubernetes: certificate expiry -------------------------------------------------------

CERT_INTRO = """
A certificate used by Kubernetes is about to expire: a kubeadm-managed control plane
certificate, a kubelet certificate or a certificate managed by cert-manager. Expired
certificates fail hard, so act on the warning rather than on the outage.
"""

CERT_MEANING = """
## Meaning

- `KubeClientCertificateExpiration`: clients connect to the API server with a certificate
  that expires within 7 days (warning) or 24 hours (critical).
- `CertManagerCertExpirySoon`: a `Certificate` expires in less than 21 days. cert-manager
  normally renews at two thirds of the lifetime, so renewal has been failing for a while.
"""

CERT_DIAGNOSIS = """
## Diagnosis

Control plane certificates, on a control plane node:

```bash
kubeadm certs check-expiration
```

The kubelet client certificate, on a node:

```bash
openssl x509 -noout -enddate -in /var/lib/kubelet/pki/kubelet-client-current.pem
```

Any TLS endpoint, for example the one from the alert:

```bash
echo | openssl s_client -connect {{ $labels.instance }} 2>/dev/null | openssl x509 -noout -dates
```

Certificates managed by cert-manager:

```bash
kubectl get certificates -A
cmctl status certificate -n $NAMESPACE $CERTIFICATE
kubectl -n $NAMESPACE get certificaterequests,orders,challenges
```
"""

CERT_MITIGATION = """
## Mitigation

1. kubeadm control plane: renew, then restart the static pods. The kubelet restarts a static
   pod when its manifest reappears. Do one control plane node at a time:

```bash
kubeadm certs renew all
mkdir -p /root/manifests-parked
mv /etc/kubernetes/manifests/*.yaml /root/manifests-parked/ && sleep 20
mv /root/manifests-parked/*.yaml /etc/kubernetes/manifests/
```

Afterwards, copy the renewed `admin.conf` to wherever your kubeconfig comes from.

2. Kubelet serving certificates with `serverTLSBootstrap` need their CSRs approved:

```bash
kubectl get csr | grep Pending
kubectl certificate approve $CSR_NAME
```

3. cert-manager: fix what the `Order` or `Challenge` complains about (DNS, HTTP-01
   reachability, rate limits), then trigger the renewal:

```bash
cmctl renew -n $NAMESPACE $CERTIFICATE
```
"""

CERT_AUTOMATE = """
### Make renewal automatic

kubeadm renews the control plane certificates on every `kubeadm upgrade`, so clusters upgraded
at least once a year never hit the one-year expiry. For the kubelet, make sure rotation is on:

```yaml
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
rotateCertificates: true
serverTLSBootstrap: true
```
"""

# --- Networking: BGP session down (Nordwolke internal) -----------------------------------

BGP_INTRO = """
A BGP session between a Nordwolke border router and a transit, the IX route servers or our
internal route reflectors is down. This runbook is internal: it names our routers and peers.
"""

BGP_MEANING = """
## Meaning

The alert fires when the BIRD protocol `{{ $labels.name }}` on `{{ $labels.instance }}` has not
been `Established` for two minutes (`bird_protocol_up == 0` from the bird exporter).
"""

BGP_IMPACT = """
## Impact

Each border router (`nw-br1`, `nw-br2`) has two transits and sessions to the IX route servers.
Losing one session shifts traffic to the others. Losing both transits on one router sends all
outbound traffic through the other router. Losing the sessions to the route reflectors `nw-rr1`
and `nw-rr2` can withdraw the floating IP prefixes that the network nodes announce.
"""

BGP_DIAGNOSIS = """
## Diagnosis

```bash
birdc show protocols
birdc show protocols all $PEER
```

Look at the `BGP state` and `Last error` lines:

```console
$ birdc show protocols all transit_a_v4
BIRD 2.0.12 ready.
Name         Proto      Table      State  Since         Info
transit_a_v4 BGP        ---        start  09:41:17.113  Active        Socket: Connection refused
  BGP state:          Active
    Neighbor address: 192.0.2.1
    Neighbor AS:      64500
    Local AS:         64510
    Last error:       Socket: Connection refused
```

| `Last error` | Likely cause |
|---|---|
| `Hold timer expired` | Packet loss on the link, or an overloaded peer |
| `Socket: Connection refused` | Session not configured or shut down on the peer side |
| `Received: Bad peer AS` | ASN changed on one side only |
| Stuck in `Connect`, MD5 messages in `dmesg` | Password mismatch |

Then check the transport from the router:

```bash
ping -c 3 $PEER_IP
ss -tn '( dport = :179 or sport = :179 )'
tcpdump -ni $IFACE tcp port 179 -c 20
dmesg -T | grep -i md5
```
"""

BGP_MITIGATION = """
## Mitigation

1. Link or transport problem (ping fails, interface errors): open a ticket with the peer's NOC.
   Contacts are in the peering sheet.
2. Configuration changed recently: validate and load it, then restart only the affected session:

```bash
birdc configure check
birdc configure
birdc restart $PEER
```

3. Password mismatch: compare with the value in Vault under `network/bgp/$PEER`, and agree on a
   new one with the peer if needed.
"""

BGP_VERIFY = """
### After the session is back

Check that we receive and announce what we expect, not only that the session is up:

```bash
birdc show route protocol $PEER count
birdc show route export $PEER
```

Our announcements must include `203.0.113.0/24` and `2001:db8:400::/40` on every transit.
"""

# --- Networking: MTU mismatch -------------------------------------------------------------

MTU_INTRO = """
Packets above a certain size are silently dropped somewhere on the path. The classic symptom:
`ping` and SSH logins work, but `scp`, `git clone` or HTTPS downloads hang after a few
kilobytes.
"""

MTU_MEANING = """
## Meaning

The alert compares `node_network_mtu_bytes` across interfaces with the same role (for example
all storage VLAN interfaces) and fires when `{{ $labels.device }}` on `{{ $labels.instance }}`
differs from its peers. It typically follows a NIC replacement or a change to a switch port
template.
"""

MTU_IMPACT = """
## Impact

Inside VMs, TCP connections stall as soon as full-size segments are sent, if path MTU discovery
does not work because ICMP is filtered. On storage networks, Ceph heartbeats (small) get
through while data (large) does not, which shows up as slow ops and flapping OSDs.
"""

MTU_DIAGNOSIS = """
## Diagnosis

1. Compare the configured MTU on the host with its peers:

```bash
ip -d link show dev $IFACE | grep -o "mtu [0-9]*"
```

2. Test the path with the don't-fragment bit set. The payload is the MTU minus 28 bytes of IP
   and ICMP headers:

```bash
ping -M do -c 3 -s 1472 $REMOTE_IP    # path MTU 1500
ping -M do -c 3 -s 8972 $REMOTE_IP    # path MTU 9000
tracepath -n $REMOTE_IP
```

3. For tenant networks, compare what Neutron announces with what the VM uses:

```bash
openstack network show $NETWORK -c mtu
ssh $VM_ADDRESS ip link show eth0
```

The overlay adds its own header to every packet, so the tenant MTU must be smaller than the
physical one:

| Physical MTU | Overlay | Tenant MTU |
|---|---|---|
| 1500 | Geneve (OVN) | 1442 |
| 1500 | VXLAN | 1450 |
| 9000 | Geneve (OVN) | 8942 |
| 9000 | VXLAN | 8950 |
"""

MTU_MITIGATION = """
## Mitigation

1. Wrong MTU on a host interface: fix it in the host's network configuration (netplan,
   ifupdown or the deployment inventory), not only with `ip link set`, or it comes back after
   the next reboot.
2. Wrong MTU on the switch port: ask the network team to check the port template; the host side
   cannot fix that.
3. Wrong MTU inside the VM: some images ignore the MTU that DHCP announces. Set it inside the
   guest or in the image's cloud-init configuration.
"""

MTU_CLOUD_INIT = """
For images that ignore the DHCP option, users can set the MTU at boot through user data:

```yaml
#cloud-config
bootcmd:
  - [ip, link, set, dev, eth0, mtu, "1442"]
```
"""

# --- Networking: DNS resolution -----------------------------------------------------------

DNS_INTRO = """
Name resolution fails or is slow, inside Kubernetes clusters or on hosts. Nearly everything
depends on DNS, so this tends to show up as errors everywhere else first.
"""

DNS_MEANING = """
## Meaning

- `CoreDNSDown`: Prometheus cannot scrape any CoreDNS pod.
- `CoreDNSErrorsHigh`: more than 3% of the answers are `SERVFAIL`.
- `DNSResolutionFailing`: the blackbox exporter on `{{ $labels.instance }}` cannot resolve its
  test names.
"""

DNS_IMPACT = """
## Impact

Pods cannot reach services by name, image pulls fail, and OpenStack services that address
RabbitMQ or the database by host name cannot reconnect after a restart.
"""

DNS_DIAGNOSIS = """
## Diagnosis

### Inside a Kubernetes cluster

```bash
kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide
kubectl -n kube-system logs -l k8s-app=kube-dns --tail=50
kubectl run dnstest --rm -it --restart=Never --image=busybox:1.36 -- nslookup kubernetes.default
```

If CoreDNS looks fine but lookups from some pods time out, check the node those pods run on.
Conntrack races on UDP show up as `insert_failed`:

```bash
conntrack -S | grep -o "insert_failed=[0-9]*"
```

### On a host

```bash
resolvectl status
dig +short example.org @$RESOLVER
dig +short example.org
```

If the query to the resolver works and the plain `dig` does not, the local stub resolver is the
problem.
"""

DNS_MITIGATION = """
## Mitigation

1. CoreDNS crash-looping: see the "Pod CrashLooping" runbook. A common cause is a forwarding
   loop (`Loop ... detected` in the log) when the node's `/etc/resolv.conf` points at
   `127.0.0.53`. Set `resolvConf: /run/systemd/resolve/resolv.conf` in the kubelet config.
2. CoreDNS overloaded: add replicas.

```bash
kubectl -n kube-system scale deployment coredns --replicas=4
```

3. Upstream resolver down: point the `forward` plugin in the `coredns` ConfigMap at the
   secondary resolver until the primary is back.
"""

DNS_NODELOCAL = """
### Long term

Many `insert_failed` events, or short outages every time CoreDNS restarts, are a good reason to
deploy NodeLocal DNSCache. Pods then query a cache on their own node, and the cache talks to
CoreDNS over TCP, which avoids the conntrack race altogether.
"""

# --- General: disk filling up on a control node ------------------------------------------

DISK_INTRO = """
A filesystem on a control node is filling up. On OpenStack control nodes the usual suspects are
logs, MariaDB binary logs, RabbitMQ message stores and container images.
"""

DISK_MEANING = """
## Meaning

- `NodeFilesystemFillingUp`: at the current rate, `{{ $labels.mountpoint }}` on
  `{{ $labels.instance }}` will be full within 24 hours.
- `NodeFilesystemAlmostOutOfSpace`: less than 5% of the space is left.
"""

DISK_IMPACT = """
## Impact

A full root or `/var` stops MariaDB (the Galera node leaves the cluster), makes RabbitMQ block
publishers once it hits its disk limit, and stops journald from writing. Control plane APIs
start failing in odd ways long before the disk is at 100%.
"""

DISK_DIAGNOSIS = """
## Diagnosis

```bash
df -h {{ $labels.mountpoint }}
df -i {{ $labels.mountpoint }}
du -xh --max-depth=2 {{ $labels.mountpoint }} 2>/dev/null | sort -h | tail -n 20
```

Check the usual suspects:

```bash
journalctl --disk-usage
du -sh /var/log/* | sort -h | tail
du -sh /var/lib/mysql /var/lib/rabbitmq /var/lib/docker 2>/dev/null
```
"""

DISK_DELETED_FILES = """
If `df` and `du` disagree by a lot, a process still holds deleted files open, typically a log
file that someone removed by hand instead of rotating it:

```bash
lsof -nP +L1 | sort -nk7 | tail
```

Restart or signal that process (often `systemctl reload rsyslog`) to release the space.
"""

DISK_MITIGATION = """
## Mitigation

1. Shrink the journal and rotate the logs:

```bash
journalctl --vacuum-size=1G
logrotate -f /etc/logrotate.conf
```

2. Remove container images that have not been used for a week:

```bash
docker image prune -a --filter "until=168h"
```

3. Delete old compressed logs only after checking that nobody needs them for an open incident.
"""

DISK_BINLOGS = """
4. MariaDB binary logs: purge old ones from inside the database. Never delete the files by
   hand; the index no longer matches them and replication breaks.

```console
MariaDB [(none)]> SHOW BINARY LOGS;
MariaDB [(none)]> PURGE BINARY LOGS BEFORE NOW() - INTERVAL 3 DAY;
```

Then set `binlog_expire_logs_seconds` (or `expire_logs_days` on older versions) so that this
does not happen again.
"""

DISK_ESCALATION = """
## Escalation

If MariaDB or RabbitMQ have already stopped because of the full disk, page the OpenStack
on-call before you free any space: bringing a Galera node back after a disk-full crash may need
a full state transfer, and the order of the steps matters.
"""

# --- The runbooks -------------------------------------------------------------------------

RUNBOOKS = [
    {
        "title": "Nova compute service down",
        "slug": "nova-compute-service-down",
        "component": "nova",
        "provider": None,
        "visibility": "public",
        "tags": ["openstack", "compute", "nova"],
        "stale": False,
        # The Health Monitor's failed boots land here too (README, "Alarm mails").
        "alerts": ["NovaComputeServiceDown", "NovaAgentDown", "HealthMonitor: nova boot"],
        # `HOST=` in the fencing commands is the alert's host, as `{{ $labels.hostname }}` is.
        "placeholder_labels": {"HOST": "hostname"},
        "revisions": [
            {
                "author": "carol",
                "message": "First version",
                "body": _md(
                    NOVA_INTRO, NOVA_MEANING, NOVA_IMPACT, NOVA_DIAGNOSIS_V1, NOVA_MITIGATION
                ),
            },
            {
                "author": "alice",
                "message": "Use the openstack client instead of the deprecated nova CLI",
                "body": _md(NOVA_INTRO, NOVA_MEANING, NOVA_IMPACT, NOVA_DIAGNOSIS, NOVA_MITIGATION),
            },
            {
                "author": "bob",
                "message": "Add the evacuation step",
                "body": _md(
                    NOVA_INTRO,
                    NOVA_MEANING,
                    NOVA_IMPACT,
                    NOVA_DIAGNOSIS,
                    NOVA_MITIGATION,
                    NOVA_EVACUATE,
                ),
            },
            {
                "author": "carol",
                "message": "Add an Escalation section",
                "body": _md(
                    NOVA_INTRO,
                    NOVA_MEANING,
                    NOVA_IMPACT,
                    NOVA_DIAGNOSIS,
                    NOVA_MITIGATION,
                    NOVA_EVACUATE,
                    NOVA_ESCALATION,
                ),
            },
        ],
    },
    {
        "title": "Neutron OVN controller agent down",
        "slug": "neutron-ovn-controller-down",
        "component": "neutron",
        "provider": "nordwolke",
        "visibility": "public",
        "tags": ["openstack", "network", "ovn"],
        "stale": False,
        "alerts": ["NeutronAgentDown", "OVNControllerDown"],
        "revisions": [
            {
                "author": "alice",
                "message": "First version",
                "body": _md(OVN_INTRO, OVN_MEANING, OVN_IMPACT, OVN_DIAGNOSIS, OVN_MITIGATION),
            },
            {
                "author": "alice",
                "message": "Add the gateway chassis check",
                "body": _md(
                    OVN_INTRO, OVN_MEANING, OVN_IMPACT, OVN_DIAGNOSIS, OVN_MITIGATION, OVN_GATEWAY
                ),
            },
            {
                "author": "alice",
                "message": "Cover southbound Raft trouble and add an Escalation section",
                "body": _md(
                    OVN_INTRO,
                    OVN_MEANING,
                    OVN_IMPACT,
                    OVN_DIAGNOSIS,
                    OVN_SB_CLUSTER,
                    OVN_MITIGATION,
                    OVN_GATEWAY,
                    OVN_ESCALATION,
                ),
            },
        ],
    },
    {
        "title": "Keystone token validation failures",
        "slug": "keystone-token-validation-failures",
        "component": "keystone",
        "provider": "alpenstack",
        "visibility": "public",
        "tags": ["openstack", "identity", "keystone"],
        "stale": False,
        "alerts": ["KeystoneTokenValidationErrors", "KeystoneAPIErrorRateHigh"],
        "revisions": [
            {
                "author": "bob",
                "message": "First version",
                "body": _md(
                    KEYSTONE_INTRO,
                    KEYSTONE_MEANING,
                    KEYSTONE_IMPACT,
                    KEYSTONE_TABLE_V1,
                    KEYSTONE_CHECKS,
                    KEYSTONE_MITIGATION,
                ),
            },
            {
                "author": "bob",
                "message": "Add the clock skew case",
                "body": _md(
                    KEYSTONE_INTRO,
                    KEYSTONE_MEANING,
                    KEYSTONE_IMPACT,
                    KEYSTONE_TABLE,
                    KEYSTONE_CHECKS,
                    KEYSTONE_CLOCK,
                    KEYSTONE_MITIGATION,
                ),
            },
        ],
    },
    {
        "title": "Octavia amphora in ERROR or failover stuck",
        "slug": "octavia-amphora-failover",
        "component": "octavia",
        "provider": "alpenstack",
        "visibility": "public",
        "tags": ["openstack", "load-balancer", "octavia"],
        "stale": False,
        "alerts": ["OctaviaAmphoraError", "OctaviaLoadBalancerPending"],
        "revisions": [
            {
                "author": "bob",
                "message": "First version",
                "body": _md(
                    OCTAVIA_INTRO,
                    OCTAVIA_MEANING,
                    OCTAVIA_IMPACT,
                    OCTAVIA_DIAGNOSIS,
                    OCTAVIA_MITIGATION,
                ),
            },
            {
                "author": "bob",
                "message": "Explain what to do with load balancers stuck in PENDING_UPDATE",
                "body": _md(
                    OCTAVIA_INTRO,
                    OCTAVIA_MEANING,
                    OCTAVIA_IMPACT,
                    OCTAVIA_DIAGNOSIS,
                    OCTAVIA_MITIGATION,
                    OCTAVIA_PENDING,
                ),
            },
            {
                "author": "bob",
                "message": "Check the amphora image before failing over; add Escalation",
                "body": _md(
                    OCTAVIA_INTRO,
                    OCTAVIA_MEANING,
                    OCTAVIA_IMPACT,
                    OCTAVIA_DIAGNOSIS,
                    OCTAVIA_IMAGE,
                    OCTAVIA_MITIGATION,
                    OCTAVIA_PENDING,
                    OCTAVIA_ESCALATION,
                ),
            },
        ],
    },
    {
        "title": "Cinder volume stuck in 'deleting'",
        "slug": "cinder-volume-stuck-deleting",
        "component": "cinder",
        "provider": "hansecloud",
        "visibility": "public",
        "tags": ["openstack", "storage", "cinder", "ceph"],
        "stale": True,
        "alerts": ["CinderVolumeStuckDeleting"],
        "revisions": [
            {
                "author": "hanna",
                "message": "First version",
                "body": _md(CINDER_INTRO, CINDER_MEANING, CINDER_DIAGNOSIS, CINDER_MITIGATION),
            },
            {
                "author": "hanna",
                "message": "Add how to get rid of a stale RBD watcher",
                "body": _md(
                    CINDER_INTRO,
                    CINDER_MEANING,
                    CINDER_DIAGNOSIS,
                    CINDER_WATCHER,
                    CINDER_MITIGATION,
                ),
            },
        ],
    },
    {
        "title": "Ceph OSD down",
        "slug": "ceph-osd-down",
        "component": "ceph",
        "provider": None,
        "visibility": "public",
        "tags": ["ceph", "storage"],
        "stale": False,
        "alerts": ["CephOSDDown", "CephOSDHostDown"],
        # The alerts name the daemon (`ceph_daemon="osd.7"`) and its host (`hostname`).
        "placeholder_labels": {"OSD": "ceph_daemon", "HOST": "hostname"},
        "revisions": [
            {
                "author": "carol",
                "message": "First version",
                "body": _md(
                    CEPH_OSD_INTRO,
                    CEPH_OSD_MEANING,
                    CEPH_OSD_IMPACT,
                    CEPH_OSD_DIAGNOSIS,
                    CEPH_OSD_MITIGATION,
                ),
            },
            {
                "author": "bob",
                "message": "Add the cephadm variants of the commands",
                "body": _md(
                    CEPH_OSD_INTRO,
                    CEPH_OSD_MEANING,
                    CEPH_OSD_IMPACT,
                    CEPH_OSD_DIAGNOSIS,
                    CEPH_OSD_CEPHADM,
                    CEPH_OSD_MITIGATION,
                    CEPH_OSD_REPLACE,
                ),
            },
            {
                "author": "alice",
                "message": "Add planned maintenance with noout and an Escalation section",
                "body": _md(
                    CEPH_OSD_INTRO,
                    CEPH_OSD_MEANING,
                    CEPH_OSD_IMPACT,
                    CEPH_OSD_DIAGNOSIS,
                    CEPH_OSD_CEPHADM,
                    CEPH_OSD_MITIGATION,
                    CEPH_OSD_REPLACE,
                    CEPH_OSD_NOOUT,
                    CEPH_OSD_ESCALATION,
                ),
            },
        ],
    },
    {
        "title": "Ceph placement groups inconsistent (scrub errors)",
        "slug": "ceph-pg-inconsistent",
        "component": "ceph",
        "provider": None,
        "visibility": "public",
        "tags": ["ceph", "storage", "data-integrity"],
        "stale": False,
        "alerts": ["CephPGsDamaged", "CephScrubErrors"],
        "revisions": [
            {
                "author": "carol",
                "message": "First version",
                "body": _md(
                    CEPH_PG_INTRO,
                    CEPH_PG_MEANING,
                    CEPH_PG_IMPACT,
                    CEPH_PG_DIAGNOSIS,
                    CEPH_PG_MITIGATION,
                ),
            },
            {
                "author": "alice",
                "message": "Explain why a blind repair is risky",
                "body": _md(
                    CEPH_PG_INTRO,
                    CEPH_PG_MEANING,
                    CEPH_PG_IMPACT,
                    CEPH_PG_DIAGNOSIS,
                    CEPH_PG_MITIGATION,
                    CEPH_PG_DETAILS,
                ),
            },
        ],
    },
    {
        "title": "Ceph OSDs nearfull or full",
        "slug": "ceph-osd-nearfull",
        "component": "ceph",
        "provider": "nordwolke",
        "visibility": "community",
        "tags": ["ceph", "storage", "capacity"],
        "stale": False,
        "alerts": ["CephOSDNearFull", "CephOSDBackfillFull", "CephOSDFull"],
        "revisions": [
            {
                "author": "alice",
                "message": "First version",
                "body": _md(
                    CEPH_FULL_INTRO,
                    CEPH_FULL_MEANING,
                    CEPH_FULL_IMPACT,
                    CEPH_FULL_DIAGNOSIS,
                    CEPH_FULL_MITIGATION,
                ),
            },
            {
                "author": "alice",
                "message": "Add the emergency steps for a cluster that is already full",
                "body": _md(
                    CEPH_FULL_INTRO,
                    CEPH_FULL_MEANING,
                    CEPH_FULL_IMPACT,
                    CEPH_FULL_DIAGNOSIS,
                    CEPH_FULL_MITIGATION,
                    CEPH_FULL_EMERGENCY,
                ),
            },
        ],
    },
    {
        "title": "Ceph slow ops",
        "slug": "ceph-slow-ops",
        "component": "ceph",
        "provider": "hansecloud",
        "visibility": "public",
        "tags": ["ceph", "storage", "performance"],
        "stale": False,
        "alerts": ["CephSlowOps", "CephDaemonSlowOps"],
        "placeholder_labels": {"OSD": "ceph_daemon"},
        "revisions": [
            {
                "author": "hanna",
                "message": "First version",
                "body": _md(
                    CEPH_SLOW_INTRO,
                    CEPH_SLOW_MEANING,
                    CEPH_SLOW_IMPACT,
                    CEPH_SLOW_DIAGNOSIS,
                    CEPH_SLOW_MITIGATION,
                ),
            },
            {
                "author": "hanna",
                "message": "Add recovery throttles for clusters older than Quincy",
                "body": _md(
                    CEPH_SLOW_INTRO,
                    CEPH_SLOW_MEANING,
                    CEPH_SLOW_IMPACT,
                    CEPH_SLOW_DIAGNOSIS,
                    CEPH_SLOW_MITIGATION,
                    CEPH_SLOW_OLD_RELEASES,
                ),
            },
        ],
    },
    {
        "title": "Ceph MON quorum at risk or lost",
        "slug": "ceph-mon-quorum-lost",
        "component": "ceph",
        "provider": "hansecloud",
        "visibility": "provider",
        "tags": ["ceph", "storage", "quorum"],
        "stale": False,
        "alerts": ["CephMonQuorumAtRisk", "CephMonDown"],
        "revisions": [
            {
                "author": "hanna",
                "message": "First version",
                "body": _md(
                    CEPH_MON_INTRO,
                    CEPH_MON_MEANING,
                    CEPH_MON_IMPACT,
                    CEPH_MON_DIAGNOSIS,
                    CEPH_MON_MITIGATION,
                ),
            },
            {
                "author": "hanna",
                "message": "Add the monmap last resort and an Escalation section",
                "body": _md(
                    CEPH_MON_INTRO,
                    CEPH_MON_MEANING,
                    CEPH_MON_IMPACT,
                    CEPH_MON_DIAGNOSIS,
                    CEPH_MON_MITIGATION,
                    CEPH_MON_MONMAP,
                    CEPH_MON_ESCALATION,
                ),
            },
        ],
    },
    {
        "title": "Kubernetes node NotReady",
        "slug": "kubernetes-node-not-ready",
        "component": "kubernetes",
        "provider": None,
        "visibility": "public",
        "tags": ["kubernetes", "node", "cluster-api"],
        "stale": False,
        "alerts": ["KubeNodeNotReady", "KubeNodeUnreachable"],
        "revisions": [
            {
                "author": "carol",
                "message": "First version",
                "body": _md(
                    K8S_NODE_INTRO,
                    K8S_NODE_MEANING,
                    K8S_NODE_IMPACT,
                    K8S_NODE_DIAGNOSIS,
                    K8S_NODE_MITIGATION_V1,
                ),
            },
            {
                "author": "bob",
                "message": "Add node replacement with Cluster API",
                "body": _md(
                    K8S_NODE_INTRO,
                    K8S_NODE_MEANING,
                    K8S_NODE_IMPACT,
                    K8S_NODE_DIAGNOSIS,
                    K8S_NODE_MITIGATION_V1,
                    K8S_NODE_CAPI,
                ),
            },
            {
                "author": "carol",
                "message": "Clarify when to drain an unreachable node; add Escalation",
                "body": _md(
                    K8S_NODE_INTRO,
                    K8S_NODE_MEANING,
                    K8S_NODE_IMPACT,
                    K8S_NODE_DIAGNOSIS,
                    K8S_NODE_MITIGATION,
                    K8S_NODE_CAPI,
                    K8S_NODE_ESCALATION,
                ),
            },
        ],
    },
    {
        "title": "Pod CrashLooping",
        "slug": "kubernetes-pod-crashlooping",
        "component": "kubernetes",
        "provider": None,
        "visibility": "public",
        "tags": ["kubernetes", "workloads"],
        "stale": False,
        "alerts": ["KubePodCrashLooping"],
        "revisions": [
            {
                "author": "bob",
                "message": "First version",
                "body": _md(
                    K8S_CRASH_INTRO,
                    K8S_CRASH_MEANING,
                    K8S_CRASH_IMPACT,
                    K8S_CRASH_DIAGNOSIS,
                    K8S_CRASH_MITIGATION,
                ),
            },
            {
                "author": "carol",
                "message": "Add kubectl debug for containers that exit too fast",
                "body": _md(
                    K8S_CRASH_INTRO,
                    K8S_CRASH_MEANING,
                    K8S_CRASH_IMPACT,
                    K8S_CRASH_DIAGNOSIS,
                    K8S_CRASH_MITIGATION,
                    K8S_CRASH_DEBUG,
                ),
            },
        ],
    },
    {
        "title": "etcd has no leader or slow disk writes",
        "slug": "etcd-no-leader-high-latency",
        "component": "kubernetes",
        "provider": "alpenstack",
        "visibility": "community",
        "tags": ["kubernetes", "etcd", "control-plane"],
        "stale": False,
        "alerts": ["etcdNoLeader", "etcdHighFsyncDurations", "etcdMembersDown"],
        "revisions": [
            {
                "author": "bob",
                "message": "First version",
                "body": _md(ETCD_INTRO, ETCD_MEANING, ETCD_IMPACT, ETCD_DIAGNOSIS, ETCD_MITIGATION),
            },
            {
                "author": "bob",
                "message": "Add an Escalation section with the quorum warning",
                "body": _md(
                    ETCD_INTRO,
                    ETCD_MEANING,
                    ETCD_IMPACT,
                    ETCD_DIAGNOSIS,
                    ETCD_MITIGATION,
                    ETCD_ESCALATION,
                ),
            },
        ],
    },
    {
        "title": "Kubernetes certificates about to expire",
        "slug": "kubernetes-certificate-expiry",
        "component": "kubernetes",
        "provider": None,
        "visibility": "public",
        "tags": ["kubernetes", "tls", "cert-manager"],
        "stale": False,
        "alerts": ["KubeClientCertificateExpiration", "CertManagerCertExpirySoon"],
        "revisions": [
            {
                "author": "carol",
                "message": "First version",
                "body": _md(CERT_INTRO, CERT_MEANING, CERT_DIAGNOSIS, CERT_MITIGATION),
            },
            {
                "author": "alice",
                "message": "Add how to make renewal automatic",
                "body": _md(
                    CERT_INTRO, CERT_MEANING, CERT_DIAGNOSIS, CERT_MITIGATION, CERT_AUTOMATE
                ),
            },
        ],
    },
    {
        "title": "BGP session down on a border router",
        "slug": "bgp-session-down",
        "component": "network",
        "provider": "nordwolke",
        "visibility": "provider",
        "tags": ["network", "bgp", "bird"],
        "stale": False,
        "alerts": ["BGPSessionDown", "BirdProtocolDown"],
        "revisions": [
            {
                "author": "alice",
                "message": "First version",
                "body": _md(BGP_INTRO, BGP_MEANING, BGP_IMPACT, BGP_DIAGNOSIS, BGP_MITIGATION),
            },
            {
                "author": "alice",
                "message": "Check routes, not just the session, after recovery",
                "body": _md(
                    BGP_INTRO, BGP_MEANING, BGP_IMPACT, BGP_DIAGNOSIS, BGP_MITIGATION, BGP_VERIFY
                ),
            },
        ],
    },
    {
        "title": "MTU mismatch between hosts, overlay and instances",
        "slug": "network-mtu-mismatch",
        "component": "network",
        "provider": None,
        "visibility": "public",
        "tags": ["network", "mtu", "openstack"],
        "stale": False,
        "alerts": ["HostInterfaceMTUMismatch"],
        "revisions": [
            {
                "author": "alice",
                "message": "First version",
                "body": _md(MTU_INTRO, MTU_MEANING, MTU_IMPACT, MTU_DIAGNOSIS, MTU_MITIGATION),
            },
            {
                "author": "carol",
                "message": "Add a cloud-init example for guests that ignore the DHCP MTU",
                "body": _md(
                    MTU_INTRO,
                    MTU_MEANING,
                    MTU_IMPACT,
                    MTU_DIAGNOSIS,
                    MTU_MITIGATION,
                    MTU_CLOUD_INIT,
                ),
            },
        ],
    },
    {
        "title": "DNS resolution failures",
        "slug": "dns-resolution-failures",
        "component": "network",
        "provider": None,
        "visibility": "public",
        "tags": ["network", "dns", "kubernetes"],
        "stale": False,
        "alerts": ["CoreDNSDown", "CoreDNSErrorsHigh", "DNSResolutionFailing"],
        "revisions": [
            {
                "author": "bob",
                "message": "First version",
                "body": _md(DNS_INTRO, DNS_MEANING, DNS_IMPACT, DNS_DIAGNOSIS, DNS_MITIGATION),
            },
            {
                "author": "carol",
                "message": "Suggest NodeLocal DNSCache as the long-term fix",
                "body": _md(
                    DNS_INTRO,
                    DNS_MEANING,
                    DNS_IMPACT,
                    DNS_DIAGNOSIS,
                    DNS_MITIGATION,
                    DNS_NODELOCAL,
                ),
            },
        ],
    },
    {
        "title": "Disk filling up on a control node",
        "slug": "disk-filling-up-control-node",
        "component": "host",
        "provider": None,
        "visibility": "public",
        "tags": ["linux", "disk", "control-plane"],
        "stale": False,
        "alerts": ["NodeFilesystemFillingUp", "NodeFilesystemAlmostOutOfSpace"],
        "revisions": [
            {
                "author": "carol",
                "message": "First version",
                "body": _md(DISK_INTRO, DISK_MEANING, DISK_IMPACT, DISK_DIAGNOSIS, DISK_MITIGATION),
            },
            {
                "author": "bob",
                "message": "Add the check for deleted files that are still open",
                "body": _md(
                    DISK_INTRO,
                    DISK_MEANING,
                    DISK_IMPACT,
                    DISK_DIAGNOSIS,
                    DISK_DELETED_FILES,
                    DISK_MITIGATION,
                ),
            },
            {
                "author": "alice",
                "message": "Add MariaDB binary log cleanup and an Escalation section",
                "body": _md(
                    DISK_INTRO,
                    DISK_MEANING,
                    DISK_IMPACT,
                    DISK_DIAGNOSIS,
                    DISK_DELETED_FILES,
                    DISK_MITIGATION,
                    DISK_BINLOGS,
                    DISK_ESCALATION,
                ),
            },
        ],
    },
]

POSTMORTEMS = []

REPORTS = []
