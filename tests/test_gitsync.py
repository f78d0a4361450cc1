"""import_runbooks / export_runbooks (DESIGN §8): the real corpus, small trees, the pure parts."""

from io import StringIO
from pathlib import Path, PurePosixPath

import pytest
from django.core.management import CommandError, call_command

from runbooks import gitsync
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import AlertRoute, Document, Revision, Runbook
from runbooks.services import documents

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "prometheus-operator-runbooks"
CORPUS_RUNBOOKS = CORPUS / "content" / "runbooks"
needs_corpus = pytest.mark.skipif(
    not CORPUS_RUNBOOKS.is_dir(), reason=f"the shared runbook corpus is not at {CORPUS}"
)


def run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


def corpus_files() -> list[Path]:
    """The corpus's runbook files, counted here by the rules of DESIGN §8, not by gitsync."""
    candidates = [*CORPUS_RUNBOOKS.glob("*.md"), *CORPUS_RUNBOOKS.glob("*/*.md")]
    return sorted(
        path
        for path in candidates
        if path.is_file()
        and not path.name.startswith("_")
        and path.stem.lower() not in {"readme", "owners"}
    )


def runbooks():
    return Runbook.objects.all()


def imported(component: str, name: str, provider=None) -> Document:
    return runbooks().get(component=component, source_name=name, provider=provider)


def make_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode()
        path.write_bytes(data)
    return root


RUNBOOK = "---\ntitle: Disk full\nweight: 20\n---\n\n# DiskFull\n\n## Meaning\n\nFull.\n"


# --- The real corpus --------------------------------------------------------------------------


@needs_corpus
def test_every_runbook_file_of_the_corpus_becomes_a_runbook(db):
    files = corpus_files()
    out = run("import_runbooks", CORPUS_RUNBOOKS)
    assert len(files) > 100
    assert runbooks().count() == len(files)
    expected = {(p.parent.name if p.parent != CORPUS_RUNBOOKS else "", p.stem) for p in files}
    assert set(runbooks().values_list("component", "source_name")) == expected
    assert sum(line.startswith("created ") for line in out.splitlines()) == len(files)
    assert all(
        d.status == Status.PUBLISHED and d.visibility == Visibility.PUBLIC for d in runbooks()
    )
    assert not runbooks().filter(source_name="_index").exists()


@needs_corpus
def test_index_files_and_the_extensionless_file_are_skipped(db):
    out = run("import_runbooks", CORPUS_RUNBOOKS)
    assert "skipped   _index.md (starts with _)" in out
    assert "skipped   etcd/_index.md" in out
    assert "prometheus-operator/PrometheusOperatorSyncFailed (not a .md file)" in out
    # The extensionless file holds a different text than the .md of the same alert.
    sync_failed = imported("prometheus-operator", "PrometheusOperatorSyncFailed")
    md = (CORPUS_RUNBOOKS / "prometheus-operator" / "PrometheusOperatorSyncFailed.md").read_text()
    assert sync_failed.front_matter + sync_failed.current_revision.body == md


@needs_corpus
def test_a_corpus_file_without_front_matter_takes_its_title_from_the_h1(db):
    run("import_runbooks", CORPUS_RUNBOOKS)
    no_leader = imported("etcd", "etcdNoLeader")
    text = (CORPUS_RUNBOOKS / "etcd" / "etcdNoLeader.md").read_text()
    assert not text.startswith("---")
    assert no_leader.front_matter == ""
    assert no_leader.title == "etcdNoLeader"
    assert no_leader.current_revision.body == text
    assert no_leader.slug == "etcd-etcdnoleader"


@needs_corpus
def test_the_front_matter_title_wins_over_a_different_h1(db):
    run("import_runbooks", CORPUS_RUNBOOKS)
    # Upstream copied this H1 from another runbook; the front matter names it right.
    behind = imported("prometheus", "PrometheusRemoteWriteBehind")
    assert "# PrometheusRemoteStorageFailures" in behind.current_revision.body
    assert behind.title == "Prometheus Remote Write Behind"
    assert behind.front_matter.startswith("---\ntitle: Prometheus Remote Write Behind\n")
    assert "weight:" not in behind.current_revision.body
    assert "weight:" not in behind.current_revision.html


@needs_corpus
def test_every_corpus_alert_name_gets_a_community_route(db):
    run("import_runbooks", CORPUS_RUNBOOKS)
    for path in corpus_files():
        route = AlertRoute.objects.get(alertname_key=path.stem.casefold())
        assert route.alertname == path.stem and route.provider is None and route.matchers == []
        assert route.runbook.source_name == path.stem


@needs_corpus
def test_a_second_import_of_the_corpus_changes_nothing(db):
    run("import_runbooks", CORPUS_RUNBOOKS)
    counts = (Revision.objects.count(), AlertRoute.objects.count(), runbooks().count())
    out = run("import_runbooks", CORPUS_RUNBOOKS)
    assert (Revision.objects.count(), AlertRoute.objects.count(), runbooks().count()) == counts
    assert f"{len(corpus_files())} unchanged" in out and "0 routes created" in out


@needs_corpus
def test_every_corpus_file_round_trips_byte_for_byte(db, tmp_path):
    run("import_runbooks", CORPUS_RUNBOOKS)
    run("export_runbooks", tmp_path)
    exported = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    assert exported == {p.relative_to(CORPUS_RUNBOOKS) for p in corpus_files()}
    for path in corpus_files():
        relative = path.relative_to(CORPUS_RUNBOOKS)
        assert (tmp_path / relative).read_bytes() == path.read_bytes(), relative


@needs_corpus
def test_a_repository_root_is_read_from_content_runbooks(db):
    out = run("import_runbooks", CORPUS)
    assert runbooks().count() == len(corpus_files())
    assert "LICENSE" not in out
    # The same files as through the runbooks folder itself: nothing new.
    again = run("import_runbooks", CORPUS_RUNBOOKS)
    assert runbooks().count() == len(corpus_files())
    assert "0 created, 0 updated" in again


# --- Small trees ------------------------------------------------------------------------------


def test_the_same_alert_name_in_two_components_makes_two_runbooks(db, tmp_path):
    make_tree(tmp_path, {"ceph/DiskFull.md": RUNBOOK, "nova/DiskFull.md": RUNBOOK})
    run("import_runbooks", tmp_path)
    assert sorted(runbooks().values_list("slug", flat=True)) == ["ceph-diskfull", "nova-diskfull"]
    routes = AlertRoute.objects.filter(alertname_key="diskfull")
    assert {route.runbook.component for route in routes} == {"ceph", "nova"}


def test_a_file_outside_any_component_folder(db, tmp_path):
    make_tree(tmp_path / "in", {"Watchdog.md": "# Watchdog\n\nAlways firing.\n"})
    run("import_runbooks", tmp_path / "in")
    watchdog = runbooks().get()
    assert (watchdog.slug, watchdog.component, watchdog.title) == ("watchdog", "", "Watchdog")
    run("export_runbooks", tmp_path / "out")
    assert (tmp_path / "out" / "Watchdog.md").read_text() == "# Watchdog\n\nAlways firing.\n"


def test_the_component_keeps_the_folder_case(db, tmp_path):
    make_tree(tmp_path, {"Ceph/OSD_Down.md": RUNBOOK})
    run("import_runbooks", tmp_path)
    runbook = runbooks().get()
    assert (runbook.component, runbook.slug) == ("Ceph", "ceph-osd_down")


def test_deeper_folders_and_non_runbook_files_are_skipped(db, tmp_path):
    make_tree(
        tmp_path,
        {
            "ceph/DiskFull.md": RUNBOOK,
            "ceph/helpers/Tool.md": RUNBOOK,
            "ceph/images/deep/Diagram.md": RUNBOOK,
            "ceph/notes.txt": "notes",
            "ceph/Extensionless": RUNBOOK,
            "ceph/_index.md": RUNBOOK,
            ".github/PULL_REQUEST_TEMPLATE.md": "template",
        },
    )
    out = run("import_runbooks", tmp_path)
    assert list(runbooks().values_list("source_name", flat=True)) == ["DiskFull"]
    assert "skipped   ceph/helpers (support folder)" in out
    assert "1 created" in out and "5 skipped" in out


@pytest.mark.parametrize("name", ["README.md", "readme.md", "OWNERS.md", "Owners.md", "OWNERS"])
def test_readme_and_owners_are_skipped_in_any_case(db, tmp_path, name):
    make_tree(tmp_path, {name: RUNBOOK, f"ceph/{name}": RUNBOOK})
    run("import_runbooks", tmp_path)
    assert not runbooks().exists() and not AlertRoute.objects.exists()


def test_provider_prefixes_slugs_and_scopes_routes(provider_a, tmp_path):
    make_tree(tmp_path, {"ceph/DiskFull.md": RUNBOOK})
    run("import_runbooks", tmp_path, "--provider", "provider-a")
    runbook = runbooks().get()
    assert runbook.slug == "provider-a-ceph-diskfull" and runbook.provider == provider_a
    route = AlertRoute.objects.get()
    assert route.provider == provider_a and route.runbook == runbook
    # The community import of the same tree is a runbook of its own.
    run("import_runbooks", tmp_path)
    assert runbooks().filter(provider=None).get().slug == "ceph-diskfull"


def test_a_changed_file_adds_exactly_one_revision(db, tmp_path):
    make_tree(tmp_path, {"ceph/DiskFull.md": RUNBOOK})
    run("import_runbooks", tmp_path)
    make_tree(tmp_path, {"ceph/DiskFull.md": RUNBOOK + "\n## Mitigation\n\nDelete.\n"})
    out = run("import_runbooks", tmp_path)
    run("import_runbooks", tmp_path)
    runbook = runbooks().get()
    assert runbook.revisions.count() == 2 and "updated   ceph/DiskFull.md" in out
    latest = runbook.current_revision
    assert (latest.number, latest.parent, latest.author) == (2, 1, None)
    assert latest.message == "Imported from ceph/DiskFull.md"
    assert AlertRoute.objects.count() == 1


def test_a_front_matter_change_alone_adds_no_revision(db, tmp_path):
    make_tree(tmp_path, {"ceph/DiskFull.md": RUNBOOK})
    run("import_runbooks", tmp_path)
    make_tree(tmp_path, {"ceph/DiskFull.md": RUNBOOK.replace("weight: 20", "weight: 5")})
    out = run("import_runbooks", tmp_path)
    runbook = runbooks().get()
    assert runbook.revisions.count() == 1 and "weight: 5" in runbook.front_matter
    assert "updated" in out


def test_an_unknown_provider_exits_with_an_error_and_creates_nothing(db, tmp_path):
    make_tree(tmp_path, {"ceph/DiskFull.md": RUNBOOK})
    with pytest.raises(CommandError, match="Unknown provider 'nowhere'"):
        run("import_runbooks", tmp_path, "--provider", "nowhere")
    with pytest.raises(CommandError, match="Unknown provider"):
        run("export_runbooks", tmp_path / "out", "--provider", "nowhere")
    assert not runbooks().exists() and not AlertRoute.objects.exists()
    assert not (tmp_path / "out").exists()


def test_a_path_that_is_not_a_folder_is_refused(db, tmp_path):
    make_tree(tmp_path, {"DiskFull.md": RUNBOOK})
    for path in (tmp_path / "DiskFull.md", tmp_path / "missing"):
        with pytest.raises(CommandError, match="is not a folder"):
            run("import_runbooks", path)
    with pytest.raises(CommandError, match="is not a folder"):
        run("export_runbooks", tmp_path / "DiskFull.md")


def test_crlf_files_are_stored_with_lf(db, tmp_path):
    make_tree(tmp_path, {"ceph/DiskFull.md": RUNBOOK.replace("\n", "\r\n").encode()})
    run("import_runbooks", tmp_path)
    runbook = runbooks().get()
    assert runbook.front_matter == "---\ntitle: Disk full\nweight: 20\n---\n"
    assert runbook.current_revision.body == "\n# DiskFull\n\n## Meaning\n\nFull.\n"
    assert runbook.title == "Disk full"
    run("import_runbooks", tmp_path)
    assert runbook.revisions.count() == 1


def test_without_front_matter_title_or_h1_the_file_name_is_the_title(db, tmp_path):
    make_tree(tmp_path, {"ceph/DiskFull.md": "Just text.\n\n```sh\n# not a title\n```\n"})
    run("import_runbooks", tmp_path)
    assert runbooks().get().title == "DiskFull"


def test_a_runbook_made_in_the_pages_is_exported_by_slug_and_found_again(alice, tmp_path):
    made = documents.create_document(
        kind=Kind.RUNBOOK,
        title="Ceph OSD down",
        body="# Ceph OSD down\n",
        actor=alice,
        component="ceph",
    )
    run("export_runbooks", tmp_path)
    # No front matter is invented: the file is the body, whose H1 gives the title back.
    assert (tmp_path / "ceph" / "ceph-osd-down.md").read_text() == "# Ceph OSD down\n"
    run("import_runbooks", tmp_path)
    assert runbooks().get() == made and made.revisions.count() == 1
    assert AlertRoute.objects.get().runbook == made


def test_export_writes_only_the_providers_runbooks(provider_a, alice, tmp_path):
    make_tree(tmp_path / "in", {"ceph/DiskFull.md": RUNBOOK, "nova/Other.md": RUNBOOK})
    run("import_runbooks", tmp_path / "in", "--provider", "provider-a")
    make_tree(tmp_path / "community", {"general/Watchdog.md": "# Watchdog\n"})
    run("import_runbooks", tmp_path / "community")
    out = run("export_runbooks", tmp_path / "out", "--provider", "provider-a")
    written = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in tmp_path.glob("out/**/*.md")
    )
    assert written == ["ceph/DiskFull.md", "nova/Other.md"] and "2 written" in out
    again = run("export_runbooks", tmp_path / "out", "--provider", "provider-a")
    assert "0 written, 2 unchanged" in again


# --- The pure parts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,front_matter",
    [
        ("---\ntitle: A\n---\n# A\n", "---\ntitle: A\n---\n"),
        ("---\n---\nbody\n", "---\n---\n"),
        ("# No front matter\n---\nx\n---\n", ""),
        ("---\nnever closed\n", ""),
        ("---\ntitle: A\n---", "---\ntitle: A\n---"),
    ],
)
def test_split_front_matter_keeps_both_parts_verbatim(text, front_matter):
    head, body = gitsync.split_front_matter(text)
    assert head == front_matter and head + body == text


@pytest.mark.parametrize(
    "front_matter,body,title",
    [
        ("---\ntitle: From YAML\n---\n", "# From H1\n", "From YAML"),
        ("---\nweight: 1\n---\n", "intro\n# From  H1 ##\n", "From H1"),
        ("---\ntitle: [broken\n---\n", "# From H1\n", "From H1"),
        ("", "```sh\n# a comment\n```\n# Real\n", "Real"),
        ("", "no heading\n", None),
    ],
)
def test_choose_title(front_matter, body, title):
    assert gitsync.choose_title(front_matter, body) == title


def test_import_slug_is_a_lower_case_valid_slug():
    assert gitsync.import_slug("KubeAPIDown", "kubernetes") == "kubernetes-kubeapidown"
    assert gitsync.import_slug("Watchdog") == "watchdog"
    assert gitsync.import_slug("Disk Full", "Ceph", "regio") == "regio-ceph-disk-full"


def test_export_path_never_leaves_the_export_folder():
    assert gitsync.export_path("ceph", "DiskFull", "x") == PurePosixPath("ceph/DiskFull.md")
    assert gitsync.export_path("", "", "watchdog") == PurePosixPath("watchdog.md")
    assert gitsync.export_path("../../etc", "", "x") == PurePosixPath("etc/x.md")
    assert gitsync.export_path("a/b", "../x", "slug") == PurePosixPath("ab/slug.md")
