"""plugin_utils._audit_engine: the container and image checks on docker_audit_info's result for the objects recorded
on the lab host (fixtures/audit_engine/README.md), then each check's positive and negative case and its thresholds at
their boundary on copies of those recorded objects with one field changed."""
import copy

import pytest

from ansible_collections.dockerops.host.plugins.plugin_utils import _audit_engine as ae

from audit_recorded import module_result

DAY = 86400


@pytest.fixture
def result():
    return module_result()


def keys(rows):
    return sorted((r["check"], r["cis"], r["severity"], r["subject"]) for r in rows)


def checks(rows):
    return sorted(r["check"] for r in rows)


def container(result, name):
    return [c for c in result["containers"] if c["Name"] == name][0]


def image(result, tag):
    return [i for i in result["images"] if tag in i["RepoTags"]][0]


def only(result, containers=(), images=()):
    """The result with only these containers and images (copies, to change)."""
    r = dict(result)
    r["containers"] = [copy.deepcopy(c) for c in containers]
    r["images"] = [copy.deepcopy(i) for i in images]
    return r


def now(result):
    return ae.parse_time(result["daemon"]["info"]["SystemTime"])


def iso(seconds):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".5Z"  # the fraction is dropped


# On the recorded lab objects


PRIVILEGED_ROWS = [
    ("container_docker_socket", "5.32", "critical", "audit-rec-privileged"),
    ("container_host_ipc", "5.17", "high", "audit-rec-privileged"),
    ("container_host_network", "5.10", "high", "audit-rec-privileged"),
    ("container_host_pid", "5.16", "high", "audit-rec-privileged"),
    ("container_no_cpu_limit", "5.12", "low", "audit-rec-privileged"),
    ("container_no_memory_limit", "5.11", "medium", "audit-rec-privileged"),
    ("container_privileged", "5.5", "critical", "audit-rec-privileged"),
    ("container_restart_policy", "5.15", "low", "audit-rec-privileged"),
    ("container_sensitive_mount", "5.6", "high", "audit-rec-privileged"),
]
WRITER_ROWS = [
    ("container_no_cpu_limit", "5.12", "low", "audit-rec-writer"),
    ("container_no_memory_limit", "5.11", "medium", "audit-rec-writer"),
    ("container_writable_layer", None, "medium", "audit-rec-writer"),
]


def test_recorded_containers_with_the_defaults(result):
    # The writer ran for seconds: its unrotated log is not old enough to report.
    assert keys(ae.container_findings(result)) == sorted(PRIVILEGED_ROWS + WRITER_ROWS)


def test_recorded_containers_log_rotation_from_day_zero(result):
    rows = ae.container_findings(result, log_rotation_min_days=0)
    assert keys(rows) == sorted(PRIVILEGED_ROWS + WRITER_ROWS +
                                [("container_log_rotation", None, "medium", "audit-rec-writer")])


IMAGE_ROWS = [
    ("image_add_remote", "4.9", "medium", "audit-rec-unchained:40"),
    ("image_docker_commit", None, "medium", "audit-rec-committed:message"),
    ("image_docker_commit", None, "medium", "audit-rec-committed:plain"),
    ("image_layer_budget", None, "medium", "audit-rec-unchained:40"),
    ("image_many_tags", None, "info", "audit-rec-unchained:40"),
    ("image_no_healthcheck", "4.6", "low", "audit-rec-committed:message"),
    ("image_no_healthcheck", "4.6", "low", "audit-rec-committed:plain"),
    ("image_no_healthcheck", "4.6", "low", "audit-rec-localadd:1"),
    ("image_no_healthcheck", "4.6", "low", "audit-rec-unchained:40"),
    ("image_no_healthcheck", "4.6", "low", "dockerops-lab/debian:bookworm"),
    ("image_update_alone", "4.7", "low", "audit-rec-unchained:40"),
]


def test_recorded_images_with_the_defaults(result):
    assert keys(ae.image_findings(result)) == sorted(IMAGE_ROWS)


def test_recorded_images_unused_from_day_zero(result):
    # Only the images no recorded container was created from; good:1 (limited's) and bookworm (the others') are used.
    unused = [("image_unused_old", None, "low", s) for s in (
        "audit-rec-committed:message", "audit-rec-committed:plain", "audit-rec-localadd:1", "audit-rec-unchained:40")]
    assert keys(ae.image_findings(result, unused_image_days=0)) == sorted(IMAGE_ROWS + unused)


def test_findings_are_both_most_severe_first(result):
    rows = ae.findings(result)
    assert keys(rows) == sorted(PRIVILEGED_ROWS + WRITER_ROWS + IMAGE_ROWS)
    ranks = [ae.severity_rank(r["severity"]) for r in rows]
    assert ranks == sorted(ranks) and rows[0]["severity"] == "critical" and rows[-1]["severity"] == "info"


def test_findings_pass_the_options_to_both(result):
    rows = ae.findings(result, log_rotation_min_days=0, unused_image_days=0)
    assert "container_log_rotation" in checks(rows) and "image_unused_old" in checks(rows)


def test_rows_have_the_six_fields_and_say_what_to_do(result):
    for r in ae.findings(result, log_rotation_min_days=0, unused_image_days=0):
        assert set(r) == {"check", "cis", "severity", "subject", "detail", "action"}
        assert r["detail"] and r["action"]


def test_writable_layer_says_write_to_a_volume(result):
    row = [r for r in ae.container_findings(result) if r["check"] == "container_writable_layer"][0]
    assert "200 MiB" in row["detail"] and "volume" in row["action"]


# Containers, one check at a time


def test_writable_layer_threshold(result):
    writer = container(result, "audit-rec-writer")
    size = writer["SizeRw"]
    for limit, flagged in ((size - 1, True), (size, False), (size + 1, False)):
        rows = ae.container_findings(only(result, [writer]), writable_layer_max_bytes=limit)
        assert ("container_writable_layer" in checks(rows)) is flagged, limit
    empty = dict(copy.deepcopy(writer), SizeRw=None)
    assert "container_writable_layer" not in checks(ae.container_findings(only(result, [empty]),
                                                                          writable_layer_max_bytes=0))


def test_limited_container_has_no_finding(result):
    assert ae.container_findings(only(result, [container(result, "audit-rec-limited")]), log_rotation_min_days=0) == []


def test_privileged(result):
    c = copy.deepcopy(container(result, "audit-rec-limited"))
    c["HostConfig"]["Privileged"] = True
    assert keys(ae.container_findings(only(result, [c]))) == [("container_privileged", "5.5", "critical",
                                                               "audit-rec-limited")]


@pytest.mark.parametrize("mount, expected", [
    (dict(Type="bind", Source="/run/docker.sock", Destination="/sock", RW=False), ("container_docker_socket", "5.32",
                                                                                   "critical")),
    (dict(Type="bind", Source="/srv/x", Destination="/var/run/docker.sock", RW=True), ("container_docker_socket",
                                                                                       "5.32", "critical")),
    (dict(Type="bind", Source="/", Destination="/host", RW=True), ("container_sensitive_mount", "5.6", "high")),
    (dict(Type="bind", Source="/usr", Destination="/host-usr", RW=False), ("container_sensitive_mount", "5.6",
                                                                           "medium")),
    (dict(Type="bind", Source="/proc", Destination="/hp", RW=True), ("container_sensitive_mount", "5.6", "high")),
    (dict(Type="bind", Source="/etc/ssl/certs", Destination="/certs", RW=False), None),
    (dict(Type="bind", Source="/srv/data", Destination="/data", RW=True), None),
    (dict(Type="volume", Source="/dev", Destination="/data", RW=True), None),
])
def test_mounts(result, mount, expected):
    c = copy.deepcopy(container(result, "audit-rec-limited"))
    c["Mounts"] = [mount]
    rows = ae.container_findings(only(result, [c]))
    assert [(r["check"], r["cis"], r["severity"]) for r in rows] == ([expected] if expected else [])


@pytest.mark.parametrize("key, value, expected", [
    ("NetworkMode", "host", ("container_host_network", "5.10")),
    ("NetworkMode", "default", None),
    ("NetworkMode", "container:abc", None),
    ("PidMode", "host", ("container_host_pid", "5.16")),
    ("PidMode", "", None),
    ("IpcMode", "host", ("container_host_ipc", "5.17")),
    ("IpcMode", "shareable", None),
])
def test_namespaces(result, key, value, expected):
    c = copy.deepcopy(container(result, "audit-rec-limited"))
    c["HostConfig"][key] = value
    rows = ae.container_findings(only(result, [c]))
    assert [(r["check"], r["cis"]) for r in rows] == ([expected] if expected else [])
    assert all(r["severity"] == "high" for r in rows)


def test_memory_limit(result):
    c = copy.deepcopy(container(result, "audit-rec-limited"))
    for memory, flagged in ((0, True), (None, True), (1, False)):
        c["HostConfig"]["Memory"] = memory
        assert ("container_no_memory_limit" in checks(ae.container_findings(only(result, [c])))) is flagged


@pytest.mark.parametrize("nano, quota, shares, flagged", [
    (0, 0, 0, True),
    (0, 0, 1024, True),  # the default share is no limit
    (0, 0, None, True),
    (0, 0, 512, False),
    (0, 50000, 0, False),
    (1, 0, 0, False),
])
def test_cpu_limit(result, nano, quota, shares, flagged):
    c = copy.deepcopy(container(result, "audit-rec-limited"))
    c["HostConfig"].update(NanoCpus=nano, CpuQuota=quota, CpuShares=shares)
    rows = ae.container_findings(only(result, [c]))
    assert ("container_no_cpu_limit" in checks(rows)) is flagged


@pytest.mark.parametrize("name, retries, flagged", [
    ("always", 0, True),
    ("unless-stopped", 0, True),
    ("on-failure", 0, True),
    ("on-failure", 5, False),
    ("on-failure", 6, True),
    ("on-failure", 1, False),
    ("no", 0, False),
    ("", 0, False),
])
def test_restart_policy(result, name, retries, flagged):
    c = copy.deepcopy(container(result, "audit-rec-limited"))
    c["HostConfig"]["RestartPolicy"] = dict(Name=name, MaximumRetryCount=retries)
    rows = [r for r in ae.container_findings(only(result, [c])) if r["check"] == "container_restart_policy"]
    assert bool(rows) is flagged
    if rows:
        assert (rows[0]["cis"], rows[0]["severity"]) == ("5.15", "low")
        assert "on-failure:5" in rows[0]["action"]


def test_restart_policy_max_retries_option(result):
    c = copy.deepcopy(container(result, "audit-rec-limited"))  # on-failure:3
    assert "container_restart_policy" not in checks(ae.container_findings(only(result, [c]), restart_max_retries=3))
    rows = ae.container_findings(only(result, [c]), restart_max_retries=2)
    assert checks(rows) == ["container_restart_policy"] and "on-failure:2" in rows[0]["action"]
    c["HostConfig"]["RestartPolicy"] = None
    assert ae.container_findings(only(result, [c])) == []


def running_since(result, days, log):
    c = copy.deepcopy(container(result, "audit-rec-writer"))
    c["SizeRw"] = 0
    c["HostConfig"].update(Memory=1, NanoCpus=1, LogConfig=log)
    c["State"]["StartedAt"] = iso(now(result) - days * DAY)
    return only(result, [c])


def test_log_rotation_age_boundary(result):
    log = dict(Type="json-file", Config={})
    # Fractions of a second are dropped: started exactly 7 days before the engine's clock is old enough.
    assert checks(ae.container_findings(running_since(result, 7, log))) == ["container_log_rotation"]
    assert ae.container_findings(running_since(result, 6.99, log)) == []
    assert checks(ae.container_findings(running_since(result, 2, log), log_rotation_min_days=2)) == \
        ["container_log_rotation"]
    row = ae.container_findings(running_since(result, 30, log))[0]
    assert (row["cis"], row["severity"]) == (None, "medium") and "30 days" in row["detail"]


@pytest.mark.parametrize("log, flagged", [
    (dict(Type="json-file", Config={}), True),
    (dict(Type="json-file", Config=None), True),
    (dict(Type="json-file", Config={"max-size": "-1"}), True),
    (dict(Type="json-file", Config={"max-size": ""}), True),
    (dict(Type="json-file", Config={"max-file": "3"}), True),
    (dict(Type="json-file", Config={"max-size": "10m"}), False),
    (dict(Type="local", Config={}), False),  # local rotates by default
    (dict(Type="journald", Config={}), False),
    (None, False),
])
def test_log_rotation_driver_and_options(result, log, flagged):
    assert bool(ae.container_findings(running_since(result, 30, log))) is flagged


def test_log_rotation_only_for_running_containers(result):
    r = running_since(result, 30, dict(Type="json-file", Config={}))
    r["containers"][0]["State"]["Running"] = False
    assert ae.container_findings(r) == []
    r["containers"][0]["State"].update(Running=True, StartedAt="0001-01-01T00:00:00Z")
    assert ae.container_findings(r) == []


# Images, one check at a time


def with_layers(result, n):
    i = copy.deepcopy(image(result, "audit-rec-good:1"))
    i["Layers"] = n
    return only(result, images=[i])


@pytest.mark.parametrize("layers, expected", [
    (30, []),
    (31, [("image_layer_budget", "medium")]),
    (99, [("image_layer_budget", "medium")]),
    (100, [("image_layers_near_limit", "high")]),
    (127, [("image_layers_near_limit", "high")]),
])
def test_layer_count_boundaries(result, layers, expected):
    rows = ae.image_findings(with_layers(result, layers))
    assert [(r["check"], r["severity"]) for r in rows] == expected
    assert all(r["subject"] == "audit-rec-good:1" for r in rows)


def test_layer_options(result):
    assert checks(ae.image_findings(with_layers(result, 11), layer_budget=10)) == ["image_layer_budget"]
    assert ae.image_findings(with_layers(result, 10), layer_budget=10) == []
    assert checks(ae.image_findings(with_layers(result, 50), layers_near_limit=50)) == ["image_layers_near_limit"]
    assert checks(ae.image_findings(with_layers(result, 49), layers_near_limit=50)) == ["image_layer_budget"]


def test_good_image_has_no_finding(result):
    assert ae.image_findings(only(result, images=[image(result, "audit-rec-good:1")])) == []


def history_image(result, *entries):
    """The good image with these history entries (newest first) above its recorded base entry."""
    i = copy.deepcopy(image(result, "audit-rec-good:1"))
    i["History"] = [dict(Created=0, CreatedBy=c, Comment=m, Size=0) for c, m in entries] + [i["History"][-1]]
    return only(result, images=[i])


def test_commit_rows(result):
    rows = ae.image_findings(only(result, images=[image(result, "audit-rec-committed:plain")]))
    commit = [r for r in rows if r["check"] == "image_docker_commit"][0]
    assert "sh -c echo patched" in commit["detail"] and "forensics" in commit["action"]


@pytest.mark.parametrize("created_by, comment, commit", [
    ("sh -c echo patched > /etc/hotfix.conf", "", True),  # recorded: docker commit
    ("sh -c echo patched > /etc/hotfix.conf", "forensics snapshot", True),  # recorded: docker commit -m
    ("nginx -g daemon off;", "", True),
    # Synthetic: other builders' history (ko, bazel's rules_docker/rules_oci, jib, apko, distroless): no commit.
    ("", "", False),
    ("", "go build output, at /ko-app/app", False),
    ("ko build ko://example.com/app", "kodata contents, at $KO_DATA_PATH", False),
    ("bazel build //app:image", "", False),
    ("jib-maven-plugin:3.4.0", "dependencies", False),
    ("jib-gradle-plugin:3.4.0", "classes", False),
    ("apko", "This is an apko single-layer image", False),
    ("/bin/sh -c echo step 1 > /tmp/step-1", "", False),  # recorded: legacy RUN
    ("/bin/sh -c #(nop)  CMD [\"sleep\" \"infinity\"]", "", False),  # recorded: legacy metadata
    ("/bin/sh -c #(nop)  LABEL a=b", "some note", False),
    ("|1 A=<redacted> /bin/sh -c make", "", False),
    ("/bin/sh -c make", "a commit message", True),  # a committed shell command with -m
    # Synthetic: BuildKit's forms.
    ("RUN /bin/sh -c make # buildkit", "buildkit.dockerfile.v0", False),
    ("COPY app /app # buildkit", "buildkit.dockerfile.v0", False),
    ("WORKDIR /app", "buildkit.dockerfile.v0", False),
    ("CMD [\"app\"]", "", False),
])
def test_is_commit(created_by, comment, commit):
    assert ae.is_commit(dict(CreatedBy=created_by, Comment=comment)) is commit


def test_commit_detail_is_clipped(result):
    # Synthetic: a committed container's command holding a secret past its 60th character.
    command = "sh -c curl -H 'Authorization: Bearer 0123456789' https://example/ -o /x && TOKEN=s3cr3t-value run"
    rows = ae.image_findings(history_image(result, (command, "")))
    detail = [r for r in rows if r["check"] == "image_docker_commit"][0]["detail"]
    assert command[:60] in detail and "s3cr3t-value" not in detail and command not in detail


def test_oldest_entry_is_the_base_not_a_commit(result):
    # The recorded base (docker import) has an empty CreatedBy, and is the image's only entry.
    base = image(result, "dockerops-lab/debian:bookworm")
    assert base["History"][-1]["CreatedBy"] == "" and len(base["History"]) == 1
    assert "image_docker_commit" not in checks(ae.image_findings(only(result, images=[base])))
    rows = ae.image_findings(history_image(result, ("sh -c patch", ""), ("sh -c patch2", "")))
    assert [r for r in rows if r["check"] == "image_docker_commit"][0]["detail"].startswith("2 layer(s)")


@pytest.mark.parametrize("created_by, remote", [
    ("/bin/sh -c #(nop) ADD 37dbbd95419b64dc1072550f2f1c7b2768ba0eb844ff1fe5195aaec85e16fcd8 in /opt/payload.bin ",
     True),  # recorded: legacy ADD of a URL
    ("/bin/sh -c #(nop) ADD file:dcd1cb7edc916f6863e523cb258544ed544495730993d8f5930bd7ba170d48bd in /opt/a.txt ",
     False),  # recorded: legacy ADD of a local file
    ("/bin/sh -c #(nop) ADD dir:4080f80666c92125f348c84c7fde5350b5b577475e7a1ffc24aa44b8c0e4a7ab in /opt/ctx/ ",
     False),
    ("/bin/sh -c #(nop) COPY file:dcd1cb7edc916f6863e523cb258544ed544495730993d8f5930bd7ba170d48bd in /opt/ ",
     False),
    # Synthetic: BuildKit's forms.
    ("ADD https://example.invalid/a.tgz /opt/ # buildkit", True),
    ("ADD --chown=1000:1000 http://example.invalid/x /x # buildkit", True),
    ("ADD app.tar.gz /opt/ # buildkit", False),
    ("RUN /bin/sh -c curl https://example.invalid/x # buildkit", False),
])
def test_add_remote(result, created_by, remote):
    rows = [r for r in ae.image_findings(history_image(result, (created_by, ""))) if r["check"] == "image_add_remote"]
    assert bool(rows) is remote
    if rows:
        assert (rows[0]["cis"], rows[0]["severity"]) == ("4.9", "medium")


def test_add_remote_detail_names_url_or_destination(result):
    rows = ae.image_findings(history_image(result, ("ADD https://example.invalid/a.tgz /opt/ # buildkit", "")))
    assert "https://example.invalid/a.tgz" in [r for r in rows if r["check"] == "image_add_remote"][0]["detail"]
    rows = ae.image_findings(only(result, images=[image(result, "audit-rec-unchained:40")]))
    assert "/opt/payload.bin" in [r for r in rows if r["check"] == "image_add_remote"][0]["detail"]


@pytest.mark.parametrize("created_by, alone", [
    ("/bin/sh -c apt-get update", True),  # recorded
    ("/bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*",
     False),  # recorded
    ("/bin/sh -c apt update", True),
    ("/bin/sh -c apt-get -q update", True),
    ("/bin/sh -c apt-get update && apt-get -y upgrade", False),
    ("/bin/sh -c apt-get update; apt-get dist-upgrade -y", False),
    ("|1 X=<redacted> /bin/sh -c apt-get update", True),
    ("/bin/sh -c #(nop)  LABEL note=apt-get update", False),
    ("/bin/sh -c echo aptitude-update", False),
    # Synthetic: BuildKit's forms.
    ("RUN /bin/sh -c apt-get update # buildkit", True),
    ("RUN /bin/sh -c apt-get update && apt-get install -y x # buildkit", False),
    ("LABEL apt-get update", False),
])
def test_update_alone(result, created_by, alone):
    rows = ae.image_findings(history_image(result, (created_by, "")))
    rows = [r for r in rows if r["check"] == "image_update_alone"]
    assert bool(rows) is alone
    if rows:
        assert (rows[0]["cis"], rows[0]["severity"]) == ("4.7", "low")


@pytest.mark.parametrize("created_by, command", [
    ("/bin/sh -c apt-get update", "apt-get update"),
    ("|2 A=<redacted> B=<redacted> /bin/sh -c make", "make"),
    ("RUN /bin/sh -c make all # buildkit", "make all"),
    ("RUN make all", "make all"),
    ("RUN |1 A=<redacted> /bin/sh -c make # buildkit", "make"),
    ("/bin/sh -c #(nop)  CMD [\"x\"]", None),
    ("COPY a /b # buildkit", None),
    ("sh -c echo", None),
    ("", None),
])
def test_run_command(created_by, command):
    assert ae.run_command(created_by) == command


@pytest.mark.parametrize("healthcheck, flagged", [
    (None, True),
    ({}, True),
    ({"Test": []}, True),
    ({"Test": ["NONE"]}, True),
    ({"Test": ["CMD-SHELL", "test -f /opt/hello.txt"]}, False),
    ({"Test": ["CMD", "true"]}, False),
])
def test_healthcheck(result, healthcheck, flagged):
    i = copy.deepcopy(image(result, "audit-rec-good:1"))
    i["Healthcheck"] = healthcheck
    rows = ae.image_findings(only(result, images=[i]))
    assert [(r["check"], r["cis"], r["severity"]) for r in rows] == \
        ([("image_no_healthcheck", "4.6", "low")] if flagged else [])


def test_many_tags(result):
    i = copy.deepcopy(image(result, "audit-rec-good:1"))
    for n, flagged in ((5, False), (6, True)):
        i["RepoTags"] = ["t:%d" % k for k in range(n)]
        rows = ae.image_findings(only(result, images=[i]))
        assert [(r["check"], r["severity"]) for r in rows] == ([("image_many_tags", "info")] if flagged else [])
    assert checks(ae.image_findings(only(result, images=[i]), tags_max=6)) == []
    assert "6 tags" in ae.image_findings(only(result, images=[i]))[0]["detail"]


def test_unused_old_images(result):
    i = copy.deepcopy(image(result, "audit-rec-good:1"))
    c = container(result, "audit-rec-limited")
    assert c["ImageID"] == i["Id"]
    # Older than 90 days by one second (fractions of a second are dropped).
    i["Created"] = iso(now(result) - 90 * DAY - 1)
    assert checks(ae.image_findings(only(result, images=[i]))) == ["image_unused_old"]
    assert ae.image_findings(only(result, [c], [i])) == []  # used
    i["Created"] = iso(now(result) - 90 * DAY)
    assert ae.image_findings(only(result, images=[i])) == []
    i["Created"] = iso(now(result) - 11 * DAY)
    row = ae.image_findings(only(result, images=[i]), unused_image_days=10)[0]
    assert (row["check"], row["severity"], row["cis"]) == ("image_unused_old", "low", None)
    assert "10 days" in row["detail"] or "11 days" in row["detail"]
    i["Created"] = "not a time"
    assert ae.image_findings(only(result, images=[i]), unused_image_days=0) == []


def test_unused_not_checked_without_the_containers(result):
    assert result["gathered"] == ["containers", "images"]
    older = dict(unused_image_days=0)
    assert "image_unused_old" in checks(ae.image_findings(result, **older))
    images_only = dict(result, gathered=["images"], containers=[])
    assert "image_unused_old" not in checks(ae.image_findings(images_only, **older))
    # A result without gathered (written by hand) is taken as having read the containers.
    unsaid = dict(result, containers=[])
    del unsaid["gathered"]
    assert "image_unused_old" in checks(ae.image_findings(unsaid, **older))


@pytest.mark.parametrize("tags, subject", [
    (["a:1", "b:2"], "a:1"),
    (["<none>:<none>", "b:2"], "b:2"),
    ([], "9b03c4c84be5"),
    (None, "9b03c4c84be5"),
])
def test_image_subject(tags, subject):
    assert ae.image_subject(dict(Id="sha256:9b03c4c84be51f00", RepoTags=tags)) == subject
    assert ae.image_subject(dict(Id="9b03c4c84be51f00", RepoTags=tags)) == subject  # an ID without its algorithm


# Severities, options, times


def test_severity_order():
    assert ae.SEVERITIES == ("critical", "high", "medium", "low", "info")
    assert [ae.severity_rank(s) for s in ae.SEVERITIES] == [0, 1, 2, 3, 4]
    with pytest.raises(ae.AuditEngineError, match="'urgent'"):
        ae.severity_rank("urgent")


@pytest.mark.parametrize("severity, threshold, fails", [
    ("critical", "high", True),
    ("high", "high", True),
    ("medium", "high", False),
    ("info", "info", True),
    ("low", "critical", False),
])
def test_at_least(severity, threshold, fails):
    assert ae.at_least(severity, threshold) is fails


def test_sort_findings():
    rows = [dict(severity="low", check="b", subject="x"), dict(severity="critical", check="z", subject="y"),
            dict(severity="low", check="a", subject="y"), dict(severity="low", check="a", subject="x")]
    assert [(r["severity"], r["check"], r["subject"]) for r in ae.sort_findings(rows)] == [
        ("critical", "z", "y"), ("low", "a", "x"), ("low", "a", "y"), ("low", "b", "x")]


@pytest.mark.parametrize("options, message", [
    (dict(layer_bugdet=3), "unknown option"),
    (dict(tags_max=-1), "tags_max"),
    (dict(tags_max=True), "tags_max"),
    (dict(tags_max="5"), "tags_max"),
    (dict(tags_max=2.5), "tags_max"),
])
def test_bad_options(result, options, message):
    with pytest.raises(ae.AuditEngineError, match=message):
        ae.container_findings(result, **options)
    with pytest.raises(ae.AuditEngineError, match=message):
        ae.image_findings(result, **options)


def test_none_option_keeps_the_default(result):
    assert keys(ae.findings(result, tags_max=None)) == keys(ae.findings(result))
    assert "image_many_tags" not in checks(ae.findings(result, tags_max=6))
    assert "image_many_tags" in checks(ae.findings(result, tags_max=0))


def test_a_none_option_does_not_stop_the_others(result):
    rows = ae.image_findings(with_layers(result, 11), tags_max=None, layer_budget=10)
    assert checks(rows) == ["image_layer_budget"]


def test_no_engine_clock_is_an_error(result):
    r = dict(result, daemon=dict(info=dict(SystemTime=None)))
    with pytest.raises(ae.AuditEngineError, match="SystemTime"):
        ae.container_findings(r)
    with pytest.raises(ae.AuditEngineError, match="SystemTime"):
        ae.image_findings(dict(r, daemon=None))


def test_empty_result_has_no_finding(result):
    assert ae.findings(dict(daemon=result["daemon"])) == []
    assert ae.findings(dict(daemon=result["daemon"], containers=None, images=None)) == []


@pytest.mark.parametrize("value, seconds", [
    ("2026-11-29T17:35:53.021317087Z", 1795973753),  # recorded SystemTime, to the second
    ("1970-01-01T00:00:00Z", 0),
    ("1970-01-01T02:00:00+02:00", 0),
    ("1970-01-01T00:00:00-01:30", 5400),
    ("1970-01-01T12:00:00+11:45", 900),
    ("0001-01-01T00:00:00Z", None),  # Go's zero time: never started
    ("1969-12-31T23:59:59Z", None),
    ("2026-11-29 17:35:53", None),
    ("", None),
    (None, None),
])
def test_parse_time(value, seconds):
    assert ae.parse_time(value) == seconds
