//! The HTML compatibility matrix in a real browser: headless Chromium loads the page
//! written for a made-up run (report::sample), the test reads the matrix back from
//! the DOM Chromium built, then takes a screenshot and checks it shows the colored
//! matrix rather than a blank or broken page. Chromium runs without network (an empty
//! network namespace when root, and the flags that keep it from calling home). The
//! test fails, loudly, when Chromium is missing: ci/test.sh installs it.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use harness::report::{self, sample};

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 1600;

fn chromium() -> PathBuf {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| peers::peer::installation::find_program(name))
        .unwrap_or_else(|| {
            panic!("no Chromium on PATH: install it (apt-get install chromium; ci/test.sh does)")
        })
}

/// Runs headless Chromium on `url` with `args`, with a fresh profile and no network.
fn run_chromium(scratch: &Path, args: &[String], url: &str) -> Output {
    let profile = scratch.join(format!("profile-{}", args.len()));
    let mut command = if peers::guard::is_root() {
        let mut command = Command::new("unshare");
        command.arg("--net").arg(chromium());
        command
    } else {
        Command::new(chromium())
    };
    command
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url);
    // Its own process group, so every helper it forks can be found and ended.
    let child = command
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running Chromium");
    let group = child.id();
    let output = child.wait_with_output().expect("running Chromium");
    end_group(group);
    assert!(output.status.success(), "Chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

/// Chromium's helpers outlive the browser by a moment: end what is left of its
/// process group, by the group's id, and wait until it is gone.
fn end_group(group: u32) {
    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{group}")]).stderr(Stdio::null()).status();
    let members = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                // pgrp is the third field after the parenthesised command name.
                let fields: Vec<&str> =
                    stat.rsplit_once(") ").map(|(_, rest)| rest.split(' ').collect()).unwrap_or_default();
                fields.get(2).and_then(|pgrp| pgrp.parse::<u32>().ok()) == Some(group)
                    && fields.first() != Some(&"Z")
            })
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while members() > 0 {
        assert!(std::time::Instant::now() < deadline, "Chromium's process group {group} does not go away");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn written_report(scratch: &Path) -> PathBuf {
    let dir = scratch.join("results");
    let mut run = sample::run();
    for case in &mut run.cases {
        let folder = dir.join(case.id.replace("::", "--"));
        std::fs::create_dir_all(&folder).unwrap();
        case.results = Some(folder.display().to_string());
    }
    report::write_case_pages(&run).unwrap();
    report::write_all(&dir, &run).unwrap();
    dir.join("index.html")
}

#[test]
fn chromium_renders_the_matrix_with_every_verdict_and_the_crash() {
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-html");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let page = written_report(&scratch);
    let url = format!("file://{}", page.display());

    let dom = String::from_utf8(run_chromium(&scratch, &["--dump-dom".into()], &url).stdout).unwrap();
    let run = sample::run();
    for case in &run.cases {
        let cell = format!("data-case=\"{}\"", case.id);
        assert!(dom.contains(&cell), "the DOM has no cell for {}", case.id);
    }
    for class in ["verdict pass", "verdict deviation", "verdict fail", "verdict not-run"] {
        assert!(dom.contains(&format!("class=\"{class}\"")), "no {class} cell in the DOM");
    }
    assert!(dom.contains("<tr data-peer=\"strongswan\">") && dom.contains("<tr data-peer=\"libreswan\">"));
    assert!(dom.contains("PEERS CRASHED OR HUNG"), "the crash banner is missing");
    assert!(dom.contains("href=\"strongswan--reference-initiates--main-mode/index.html\""));
    let case_page = page.parent().unwrap().join("strongswan--reference-initiates--main-mode/index.html");
    assert!(std::fs::read_to_string(case_page).unwrap().contains("id=\"steps\""));

    let png = scratch.join("matrix.png");
    let args = [format!("--screenshot={}", png.display()), format!("--window-size={WIDTH},{HEIGHT}")];
    run_chromium(&scratch, &args, &url);
    let (width, height, colors) = inspect(&png);
    assert_eq!((width, height), (WIDTH, HEIGHT), "the screenshot has the window's size");
    for (name, rgb) in
        [("pass", [0xc8, 0xef, 0xc8]), ("deviation", [0xff, 0xe6, 0xa6]), ("fail", [0xf7, 0xb0, 0xb0])]
    {
        assert!(colors.contains(&rgb), "no {name} cell colour in the screenshot");
    }
    assert!(colors.len() > 20, "a near-blank screenshot: {} colours", colors.len());
}

/// Width, height and the distinct RGB colours of a PNG.
fn inspect(path: &Path) -> (u32, u32, std::collections::BTreeSet<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let channels = frame.color_type.samples();
    assert!(channels >= 3 && frame.bit_depth == png::BitDepth::Eight, "{:?}", frame.color_type);
    let colors =
        pixels[..frame.buffer_size()].chunks(channels).map(|pixel| [pixel[0], pixel[1], pixel[2]]).collect();
    (frame.width, frame.height, colors)
}
