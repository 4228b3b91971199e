//! The language server's incremental runs give the same report as a whole run: on every
//! fixture, first from nothing, then after each file's text is changed in memory (a buffer
//! edit that flips a TLS value), then after the change is undone.

use intransit::pipeline::session::Session;
use intransit::report::json;
use intransit::{check, Report};

use crate::common::{inputs_and_settings, scenarios};

fn json_text(report: &Report) -> String {
    let mut out = Vec::new();
    json::render(report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// An edit that changes verdicts where it can: TLS values flipped, versions lowered, a link by
/// name broken (a template judged on its own stops or starts being named by another).
fn edited(text: &str) -> String {
    text.replace("\"1\"", "\"0\"")
        .replace("= 1", "= 0")
        .replace("16.4", "14.12")
        .replace("shared-", "renamed-")
}

#[test]
fn incremental_runs_match_whole_runs() {
    let mut edits = 0;
    for dialect in ["cloudformation", "terraform"] {
        for scenario in scenarios(dialect) {
            let (inputs, settings) = inputs_and_settings(&scenario);
            let mut session = Session::new(inputs.clone(), settings.clone());
            let name = scenario.display().to_string();
            assert_eq!(
                json_text(&session.check().report(session.settings())),
                json_text(&check(&inputs, &settings)),
                "{name}: first run"
            );
            for input in &inputs {
                let Ok(text) = std::fs::read_to_string(&input.path) else {
                    continue;
                };
                let changed = edited(&text);
                if changed == text {
                    continue;
                }
                edits += 1;
                session.set_text(&input.path, Some(changed.clone()));
                let mut expected = settings.clone();
                expected
                    .overrides
                    .insert(intransit::source::normalize(&input.path), changed);
                assert_eq!(
                    json_text(&session.check().report(session.settings())),
                    json_text(&check(&inputs, &expected)),
                    "{name}: after editing {}",
                    input.display
                );
                session.set_text(&input.path, None);
                assert_eq!(
                    json_text(&session.check().report(session.settings())),
                    json_text(&check(&inputs, &settings)),
                    "{name}: after closing {}",
                    input.display
                );
            }
        }
    }
    assert!(edits > 50, "only {edits} edits tried");
}
