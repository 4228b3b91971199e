//! The attacks of a hostile user (issue 14), through the real binary: special files, inputs
//! that used to be skipped silently, writes that could be hijacked or lose what a file's inode
//! carries, and output injection. Each ends in a finding or exit 2, in bounded time, with
//! nothing damaged.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{stderr, stdout, write, DISABLED_DB, OPEN_DB};

/// Runs the binary, failing the test if it has not finished within 20 seconds (a FIFO that
/// blocks a read would otherwise hang the suite).
fn run(cwd: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_intransit"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("`intransit {}` hung", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn fifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn fifos_and_devices_are_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "stacks/ok.yaml", OPEN_DB);
    fifo(&d.join("pipe.fifo"));
    std::os::unix::fs::symlink(d.join("pipe.fifo"), d.join("stacks/db.yaml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("stacks/zero.yaml")).unwrap();
    // Met by the walk: skipped; the real template is still checked.
    let walked = run(d, &["check", "-f", "concise", "stacks"]);
    assert_eq!(walked.status.code(), Some(1), "{}", stderr(&walked));
    assert_eq!(stdout(&walked).lines().count(), 1, "{}", stdout(&walked));
    // Named: exit 2 with a message.
    for named in ["stacks/db.yaml", "stacks/zero.yaml"] {
        let output = run(d, &["check", named]);
        assert_eq!(output.status.code(), Some(2), "{named}");
        assert!(
            stderr(&output).contains("neither a file nor a directory"),
            "{}",
            stderr(&output)
        );
    }
    // As the config, a baseline or a variable file: exit 2, no wait.
    for args in [
        vec!["check", "--config", "pipe.fifo", "stacks/ok.yaml"],
        vec!["check", "--baseline", "pipe.fifo", "stacks/ok.yaml"],
        vec!["check", "--config", "/dev/zero", "stacks/ok.yaml"],
        vec!["check", "--baseline", "/dev/zero", "stacks/ok.yaml"],
        vec!["check", "--var-file", "pipe.fifo", "stacks/ok.yaml"],
        vec!["check", "--var-file", "/dev/zero", "stacks/ok.yaml"],
        vec!["check", "--var-file", "stacks", "stacks/ok.yaml"],
    ] {
        let output = run(d, &args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("not a regular file")
                || stderr(&output).contains("FIFO")
                || stderr(&output).contains("device"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    // `.terraform/modules/modules.json` as a FIFO: read as absent, no wait.
    write(
        d,
        "infra/main.tf",
        "module \"db\" {\n  source = \"terraform-aws-modules/rds/aws\"\n}\n",
    );
    std::fs::create_dir_all(d.join("infra/.terraform/modules")).unwrap();
    fifo(&d.join("infra/.terraform/modules/modules.json"));
    let output = run(d, &["check", "-f", "concise", "infra"]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        stderr(&output)
    );
}

#[test]
fn inputs_once_skipped_are_checked_or_refused() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A file name that is not UTF-8 is walked, and shown without raw bytes.
    let name = std::ffi::OsStr::from_bytes(b"stack-\xff.yaml");
    std::fs::write(d.join(name), OPEN_DB).unwrap();
    let walked = run(d, &["check", "-f", "concise", "."]);
    assert_eq!(walked.status.code(), Some(1));
    assert!(
        stdout(&walked).starts_with("stack-\u{fffd}.yaml:4:11:"),
        "{}",
        stdout(&walked)
    );
    // A newline in a file name does not split the concise line.
    let odd = tempfile::tempdir().unwrap();
    write(odd.path(), "two\nlines.yaml", OPEN_DB);
    let output = run(odd.path(), &["check", "-f", "concise", "."]);
    assert_eq!(stdout(&output).lines().count(), 1, "{}", stdout(&output));
    assert!(
        stdout(&output).starts_with("two\\u{a}lines.yaml:"),
        "{}",
        stdout(&output)
    );
    // `sub/../db.yaml` and `db.yaml` are one file.
    let same = tempfile::tempdir().unwrap();
    write(same.path(), "db.yaml", OPEN_DB);
    std::fs::create_dir(same.path().join("sub")).unwrap();
    let output = run(
        same.path(),
        &["check", "-f", "concise", "db.yaml", "sub/../db.yaml"],
    );
    assert_eq!(stdout(&output).lines().count(), 1, "{}", stdout(&output));
    // A baseline of another version, an impossible expiry date: refused, not accepted.
    write(
        same.path(),
        "baseline.json",
        "{\"version\": 2, \"findings\": []}",
    );
    let output = run(
        same.path(),
        &["check", "--baseline", "baseline.json", "db.yaml"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("version 2"), "{}", stderr(&output));
    write(
        same.path(),
        "dated.yaml",
        &format!(
            "{OPEN_DB}    # intransit:ignore rds-tls-not-enforced until=2027-02-30 -- later\n"
        ),
    );
    let output = run(same.path(), &["check", "-f", "concise", "dated.yaml"]);
    assert!(
        stdout(&output).contains("`until=2027-02-30` is not a date"),
        "{}",
        stdout(&output)
    );
    // A plan whose shape is not `terraform show -json`'s: a parse error, not a silent pass.
    write(
        same.path(),
        "plan.json",
        "{\"format_version\": \"1.2\", \"planned_values\": {\"root_module\": {\"resources\": {\"a\": 1}}}}",
    );
    let output = run(same.path(), &["check", "-f", "concise", "plan.json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("`resources` is not a list"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn stdin_is_decoded_as_a_file_is() {
    let dir = tempfile::tempdir().unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(OPEN_DB.encode_utf16().flat_map(u16::to_le_bytes));
    for (bytes, code) in [
        (utf16, Some(1)),
        (b"Resources: \xc3\x28\n".to_vec(), Some(2)),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_intransit"))
            .args(["check", "-f", "concise", "--stdin-filename", "db.yaml"])
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), code, "{}", stderr(&output));
    }
    // Bounded like a file on disk: over `max-file-size`, said, never checked cut short.
    write(dir.path(), "intransit.toml", "max-file-size = 64\n");
    assert!(OPEN_DB.len() > 64);
    let mut child = Command::new(env!("CARGO_BIN_EXE_intransit"))
        .args(["check", "-f", "concise", "--stdin-filename", "db.yaml"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(OPEN_DB.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("over the 64-byte limit"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn reports_never_overwrite_inputs_or_follow_planted_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "db.yaml", OPEN_DB);
    for option in ["-o", "--write-baseline"] {
        let output = run(d, &["check", "db.yaml", option, "db.yaml"]);
        assert_eq!(output.status.code(), Some(2), "{option}");
        assert!(
            stderr(&output).contains("is a file this run reads"),
            "{}",
            stderr(&output)
        );
        assert_eq!(std::fs::read_to_string(d.join("db.yaml")).unwrap(), OPEN_DB);
    }
    // Another name for an input (a hard link, a symlink) is that input.
    std::fs::hard_link(d.join("db.yaml"), d.join("hard.json")).unwrap();
    std::os::unix::fs::symlink(d.join("db.yaml"), d.join("soft.json")).unwrap();
    for alias in ["hard.json", "soft.json"] {
        let output = run(d, &["check", "db.yaml", "-f", "json", "-o", alias]);
        assert_eq!(output.status.code(), Some(2), "{alias}");
        assert!(
            stderr(&output).contains("is a file this run reads"),
            "{alias}"
        );
        assert_eq!(std::fs::read_to_string(d.join("db.yaml")).unwrap(), OPEN_DB);
    }
    std::fs::remove_file(d.join("hard.json")).unwrap();
    std::fs::remove_file(d.join("soft.json")).unwrap();
    // `-o` onto a symlink replaces the link with the report; its target is untouched.
    write(d, "victim.txt", "precious\n");
    std::os::unix::fs::symlink(d.join("victim.txt"), d.join("report.json")).unwrap();
    let output = run(d, &["check", "db.yaml", "-f", "json", "-o", "report.json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(d.join("victim.txt")).unwrap(),
        "precious\n"
    );
    assert!(std::fs::read_to_string(d.join("report.json"))
        .unwrap()
        .contains("\"findings\""));
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".intransit-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn fixes_keep_links_owner_attributes_and_line_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = write(d, "db.yaml", DISABLED_DB);
    std::fs::hard_link(&path, d.join("same-file.yaml")).unwrap();
    let output = run(d, &["check", "--fix", "db.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let linked = std::fs::read_to_string(d.join("same-file.yaml")).unwrap();
    assert!(
        linked.contains("rds.force_ssl: \"1\""),
        "the other name sees the fix"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().nlink(), 2);
    // An extended attribute survives (where the file system keeps user attributes).
    let tagged = write(d, "tagged.yaml", DISABLED_DB);
    let name = std::ffi::CString::new(tagged.to_str().unwrap()).unwrap();
    let set = unsafe {
        libc::setxattr(
            name.as_ptr(),
            c"user.team".as_ptr(),
            b"data".as_ptr().cast(),
            4,
            0,
        )
    };
    if set == 0 {
        let output = run(d, &["check", "--fix", "tagged.yaml"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let size = unsafe {
            libc::getxattr(
                name.as_ptr(),
                c"user.team".as_ptr(),
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(size, 4, "the attribute is kept");
        assert!(std::fs::read_to_string(&tagged).unwrap().contains("\"1\""));
    }
    // As root, another user's file stays theirs.
    if unsafe { libc::geteuid() } == 0 {
        let owned = write(d, "owned.yaml", DISABLED_DB);
        std::os::unix::fs::chown(&owned, Some(1234), Some(1234)).unwrap();
        let output = run(d, &["check", "--fix", "owned.yaml"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let metadata = std::fs::metadata(&owned).unwrap();
        assert_eq!((metadata.uid(), metadata.gid()), (1234, 1234));
    }
    // A file whose lines end in a bare CR gets no LF: the value is set in place, nothing is
    // added.
    let cr = write(d, "classic.yaml", &DISABLED_DB.replace('\n', "\r"));
    let output = run(d, &["check", "--fix", "--unsafe-fixes", "classic.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let fixed = std::fs::read(&cr).unwrap();
    assert!(!fixed.contains(&b'\n'), "no LF in a CR file");
    assert!(String::from_utf8_lossy(&fixed).contains("rds.force_ssl: \"1\""));
}

#[test]
fn an_interrupted_write_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut text = String::from("AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n");
    for i in 0..30_000 {
        text.push_str(&format!(
            "  Db{i}:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      EngineVersion: \"14.12\"\n"
        ));
    }
    write(d, "many.yaml", &text);
    for delay in [50, 200, 600] {
        let child = Command::new(env!("CARGO_BIN_EXE_intransit"))
            .args(["check", "many.yaml", "-o", "report.txt"])
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let output = child.wait_with_output().unwrap();
        assert_ne!(output.status.code(), Some(101));
        let leftovers: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".intransit-"))
            .collect();
        assert!(leftovers.is_empty(), "after {delay} ms: {leftovers:?}");
    }
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    // A logical ID in quotes may hold anything; an escape sequence in a comment too.
    let text = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  \"Db\\e]0;owned\\a\\e[2J\":\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres   # \u{1b}[31mred\u{1b}[0m\n      EngineVersion: \"14.12\"\n";
    write(dir.path(), "db.yaml", text);
    for format in ["human", "concise", "github"] {
        let output = run(dir.path(), &["check", "-f", format, "db.yaml"]);
        assert_eq!(output.status.code(), Some(1), "{format}");
        let shown = stdout(&output);
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
            "{format}: {shown:?}"
        );
        assert!(shown.contains("Db\\u{1b}]0;owned"), "{format}: {shown}");
    }
}

#[test]
fn diff_decides_its_exit_from_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "broken.yaml",
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources: [\n",
    );
    let output = run(dir.path(), &["check", "--diff", "broken.yaml"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a parse error fails --diff too"
    );
    let json = run(
        dir.path(),
        &[
            "check",
            "--diff",
            "-f",
            "json",
            "-o",
            "out.json",
            "broken.yaml",
        ],
    );
    assert_eq!(json.status.code(), Some(1));
    let value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.json")).unwrap()).unwrap();
    assert_eq!(value["findings"][0]["rule"], "parse-error");
}
