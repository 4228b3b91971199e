//! `intransit server`: a language server over stdio (LSP 3.17, on `lsp-server` and
//! `lsp-types`). It keeps one incremental session (`pipeline::session`) over the workspace's
//! files, with open buffers' unsaved texts in place of the files on disk, and publishes the
//! diagnostics of every file whose diagnostics changed, open or not. Quick fixes come from the
//! findings' fixes; hover shows the finding's `explain` page.

mod convert;
mod state;

use std::process::ExitCode;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, HoverProviderCapability,
    InitializeParams, PositionEncodingKind, SaveOptions, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions,
};

use convert::Encoding;
use state::State;

pub fn main() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("intransit server: {error}");
            ExitCode::from(2)
        }
    }
}

fn serve() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (connection, io_threads) = Connection::stdio();
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    // UTF-8 when the client offers it (no conversion at all), else UTF-16, LSP's default.
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    let encoding = match offered {
        Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    };
    let capabilities = ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    };
    let result = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": ServerInfo {
            name: "intransit".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        },
    });
    connection.initialize_finish(id, result)?;

    let mut state = State::new(&params, encoding);
    state.refresh(&connection);
    main_loop(&connection, &mut state)?;
    // The writer thread ends when the last sender is gone.
    drop(connection);
    io_threads.join()?;
    Ok(())
}

fn main_loop(
    connection: &Connection,
    state: &mut State,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // A change schedules a check, run as soon as no message is waiting: changes already queued
    // (a burst of keystrokes) are taken first and checked once, and a lone change is checked
    // at once (an edit costs milliseconds, less than the time between keystrokes).
    let mut due = false;
    loop {
        let message = if due {
            match connection.receiver.try_recv() {
                Ok(message) => Some(message),
                Err(error) if error.is_empty() => None,
                Err(_) => return Ok(()),
            }
        } else {
            match connection.receiver.recv() {
                Ok(message) => Some(message),
                Err(_) => return Ok(()),
            }
        };
        let Some(message) = message else {
            // Nothing waiting after a change: check and publish.
            due = false;
            guarded(connection, state, "checking", |state, connection| {
                state.refresh(connection)
            });
            continue;
        };
        match message {
            Message::Request(request) => {
                if request.method == lsp_types::request::Shutdown::METHOD {
                    let _ = connection
                        .sender
                        .send(Message::Response(Response::new_ok(request.id, ())));
                    // Until `exit`, answer requests with an error and ignore the rest (a late
                    // response to our own request among them).
                    for message in &connection.receiver {
                        match message {
                            Message::Notification(n)
                                if n.method == lsp_types::notification::Exit::METHOD =>
                            {
                                return Ok(());
                            }
                            Message::Request(r) => {
                                let _ =
                                    connection.sender.send(Message::Response(Response::new_err(
                                        r.id,
                                        ErrorCode::InvalidRequest as i32,
                                        "the server is shutting down".into(),
                                    )));
                            }
                            _ => {}
                        }
                    }
                    return Ok(());
                }
                // A request answers from fresh results.
                if std::mem::take(&mut due) {
                    guarded(connection, state, "checking", |state, connection| {
                        state.refresh(connection)
                    });
                }
                respond(connection, state, request);
            }
            Message::Notification(notification) => {
                if notification.method == lsp_types::notification::Exit::METHOD {
                    return Ok(());
                }
                let method = notification.method.clone();
                let mut schedule = false;
                guarded(connection, state, &method, |state, connection| {
                    schedule = state.notify(connection, notification);
                });
                due |= schedule;
            }
            Message::Response(_) => {}
        }
    }
}

/// Runs `f`, catching a panic: it is logged to the client, the session is rebuilt, and the
/// server keeps serving.
fn guarded(
    connection: &Connection,
    state: &mut State,
    what: &str,
    f: impl FnOnce(&mut State, &Connection),
) {
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(state, connection)));
    if let Err(panic) = caught {
        let why = panic_message(&panic);
        log(
            connection,
            &format!("intransit: internal error while {what}: {why}"),
        );
        state.rebuild();
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// A line in the client's log (`window/logMessage`).
pub fn log(connection: &Connection, message: &str) {
    let params = lsp_types::LogMessageParams {
        typ: lsp_types::MessageType::WARNING,
        message: message.to_string(),
    };
    let _ = connection
        .sender
        .send(Message::Notification(Notification::new(
            lsp_types::notification::LogMessage::METHOD.into(),
            params,
        )));
}

fn respond(connection: &Connection, state: &mut State, request: Request) {
    let id = request.id.clone();
    let method = request.method.clone();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match method.as_str() {
        lsp_types::request::CodeActionRequest::METHOD => serde_json::from_value(request.params)
            .map(|params| state.code_actions(params))
            .map_err(|e| e.to_string()),
        lsp_types::request::HoverRequest::METHOD => serde_json::from_value(request.params)
            .map(|params| state.hover(params))
            .map_err(|e| e.to_string()),
        _ => Err(format!("unknown request `{method}`")),
    }));
    let response = match caught {
        Ok(Ok(value)) => Response::new_ok(id, value),
        Ok(Err(why)) if why.starts_with("unknown request") => {
            Response::new_err(id, ErrorCode::MethodNotFound as i32, why)
        }
        Ok(Err(why)) => Response::new_err(id, ErrorCode::InvalidParams as i32, why),
        Err(panic) => {
            let why = panic_message(&panic);
            log(
                connection,
                &format!("intransit: internal error in `{method}`: {why}"),
            );
            state.rebuild();
            Response::new_err(id, ErrorCode::InternalError as i32, why)
        }
    };
    let _ = connection.sender.send(Message::Response(response));
}
