//! The server's state: the workspace's folders, the open buffers, the session that checks
//! them, and what was last published, so only changed diagnostics are sent.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_server::{Connection, Message, Notification};
use lsp_types::notification::{
    DidChangeConfiguration, DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument,
    DidOpenTextDocument, DidSaveTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Diagnostic, FileChangeType,
    Hover, HoverContents, HoverParams, InitializeParams, MarkupContent, MarkupKind,
    PublishDiagnosticsParams, Uri, WorkspaceEdit,
};

use super::convert::{self, Encoding};
use intransit::diagnostic::fix::Applicability;
use intransit::pipeline::discover::{discover, Exclude};
use intransit::pipeline::session::{self, Session};
use intransit::report::Report;
use intransit::settings::config;
use intransit::{Input, Settings};

/// Options a client sets (`initializationOptions`, or `intransit` in
/// `workspace/didChangeConfiguration`): camelCase keys as VS Code settings have them.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Options {
    /// Flag databases that rely on an engine-version default.
    require_explicit: Option<bool>,
    /// A config file instead of the nearest `intransit.toml`.
    config_file: Option<PathBuf>,
}

/// A part of a run (`session::Outcome`) as converted for the protocol: its diagnostics by
/// URI text (most parts point into one file).
struct Shown {
    part: Arc<Report>,
    by_uri: Vec<(String, Uri, Vec<Diagnostic>)>,
}

impl Shown {
    fn of(&self, key: &str) -> Option<&(String, Uri, Vec<Diagnostic>)> {
        self.by_uri.iter().find(|(k, _, _)| k == key)
    }
}

/// What a file was last sent: its URI, and a digest of the diagnostics (the parts hold them;
/// a second copy of every diagnostic is not kept), and whether there were none.
struct Published {
    uri: Uri,
    digest: u64,
    empty: bool,
}

/// A digest of a file's diagnostics as they are sent.
fn digest(diagnostics: &[Diagnostic]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(diagnostics)
        .unwrap_or_default()
        .hash(&mut hasher);
    hasher.finish()
}

pub struct State {
    encoding: Encoding,
    /// The workspace folders; the first is where paths are shown from.
    roots: Vec<PathBuf>,
    options: Options,
    /// Open buffers, by path, with their texts.
    open: HashMap<PathBuf, String>,
    session: Session,
    /// The parts of the last run, by their address, with their diagnostics by URI text.
    shown: HashMap<usize, Shown>,
    /// The parts whose findings point into each file, by URI text.
    touching: HashMap<String, Vec<usize>>,
    /// What each file was last sent, by URI text.
    published: HashMap<String, Published>,
    /// A config error shown once (the run goes on with the defaults).
    config_error: Option<String>,
    uris: convert::Uris,
}

impl State {
    pub fn new(params: &InitializeParams, encoding: Encoding) -> State {
        #[allow(deprecated)]
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| convert::path_of(&f.uri))
            .chain(params.root_uri.as_ref().and_then(convert::path_of))
            .collect();
        roots.dedup();
        if roots.is_empty() {
            roots.push(std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")));
        }
        let options = params
            .initialization_options
            .clone()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        let mut state = State {
            encoding,
            roots,
            options,
            open: HashMap::new(),
            session: Session::new(Vec::new(), Settings::default()),
            shown: HashMap::new(),
            touching: HashMap::new(),
            published: HashMap::new(),
            config_error: None,
            uris: convert::Uris::default(),
        };
        state.rebuild();
        state
    }

    /// The session from nothing: settings from the config and the client's options, the
    /// workspace's files (and open buffers outside it), the open buffers' texts.
    pub fn rebuild(&mut self) {
        let root = self.roots[0].clone();
        let (file, dir) = match config::load(self.options.config_file.as_deref(), &root) {
            Ok(Some(loaded)) => {
                self.config_error = None;
                (loaded.config, loaded.dir)
            }
            Ok(None) => {
                self.config_error = None;
                (config::Config::default(), root.clone())
            }
            Err(error) => {
                self.config_error = Some(format!("{error:#}"));
                (config::Config::default(), root.clone())
            }
        };
        let excludes: Vec<Exclude> = file
            .exclude
            .iter()
            .map(|glob| Exclude {
                root: dir.clone(),
                glob: glob.clone(),
            })
            .collect();
        let mut inputs: Vec<Input> = match discover(&self.roots, &excludes, false, &root) {
            Ok(found) => found.inputs,
            Err(_) => Vec::new(),
        };
        let known: std::collections::HashSet<PathBuf> = inputs
            .iter()
            .map(|i| intransit::source::normalize(&i.path))
            .collect();
        for path in self.open.keys() {
            if !known.contains(&intransit::source::normalize(path)) {
                inputs.push(Input {
                    path: path.clone(),
                    display: intransit::source::display_path(path, &root),
                    text: None,
                    explicit: true,
                });
            }
        }
        let mut severity: HashMap<_, _> = file.severities().into_iter().collect();
        severity.shrink_to_fit();
        let settings = Settings {
            require_explicit: self
                .options
                .require_explicit
                .unwrap_or(file.require_explicit.unwrap_or(false)),
            severity,
            var_files: file.var_files.iter().map(|p| dir.join(p)).collect(),
            max_file_size: file
                .max_file_size
                .unwrap_or(intransit::settings::DEFAULT_MAX_FILE_SIZE),
            max_nesting: file
                .max_nesting
                .unwrap_or(intransit::settings::DEFAULT_MAX_NESTING),
            base: root,
            ..Settings::default()
        };
        self.session = Session::new(inputs, settings);
        for (path, text) in &self.open {
            self.session.set_text(path, Some(text.clone()));
        }
    }

    /// Handles a notification; `true` when a check should follow.
    pub fn notify(&mut self, connection: &Connection, notification: Notification) -> bool {
        let params = notification.params;
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(params)
                else {
                    return false;
                };
                self.opened(&p.text_document.uri, p.text_document.text)
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(params)
                else {
                    return false;
                };
                // Full sync: the last change holds the whole text.
                match p.content_changes.into_iter().last() {
                    Some(change) => self.opened(&p.text_document.uri, change.text),
                    None => false,
                }
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(params)
                else {
                    return false;
                };
                let Some(path) = convert::path_of(&p.text_document.uri) else {
                    return false;
                };
                self.open.remove(&path);
                if self.session.holds(&path) {
                    self.session.set_text(&path, None);
                }
                true
            }
            DidSaveTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(params)
                else {
                    return false;
                };
                let Some(path) = convert::path_of(&p.text_document.uri) else {
                    return false;
                };
                if path.file_name().is_some_and(|n| n == config::FILE_NAME) {
                    self.rebuild();
                } else {
                    self.session.changed_on_disk(&path);
                }
                true
            }
            DidChangeConfiguration::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeConfigurationParams>(params)
                else {
                    return false;
                };
                let settings = p.settings.get("intransit").cloned().unwrap_or(p.settings);
                if let Ok(options) = serde_json::from_value::<Options>(settings) {
                    self.options = options;
                }
                self.rebuild();
                true
            }
            DidChangeWatchedFiles::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeWatchedFilesParams>(params)
                else {
                    return false;
                };
                let mut rebuild = false;
                for change in p.changes {
                    let Some(path) = convert::path_of(&change.uri) else {
                        continue;
                    };
                    let config = path.file_name().is_some_and(|n| n == config::FILE_NAME);
                    if config || change.typ != FileChangeType::CHANGED {
                        rebuild = true;
                    } else {
                        self.session.changed_on_disk(&path);
                    }
                }
                if rebuild {
                    self.rebuild();
                }
                let _ = connection;
                true
            }
            _ => false,
        }
    }

    fn opened(&mut self, uri: &Uri, text: String) -> bool {
        let Some(path) = convert::path_of(uri) else {
            return false;
        };
        let new = !self.open.contains_key(&path);
        self.open.insert(path.clone(), text.clone());
        if self.session.holds(&path) {
            self.session.set_text(&path, Some(text));
        } else if new {
            // A buffer outside the files the workspace is checked from joins them.
            self.rebuild();
        }
        true
    }

    /// Checks and publishes what changed: only the parts of the run that are new are
    /// converted, and only the files they touch (or touched) are published again.
    pub fn refresh(&mut self, connection: &Connection) {
        if let Some(error) = self.config_error.take() {
            super::log(
                connection,
                &format!("intransit: {error}; using the defaults"),
            );
        }
        let outcome = self.session.check();
        let mut old = std::mem::take(&mut self.shown);
        let mut affected: HashSet<String> = HashSet::new();
        for part in &outcome.parts {
            let key = Arc::as_ptr(part) as usize;
            if let Some(shown) = old.remove(&key) {
                self.shown.insert(key, shown);
                continue;
            }
            let mut by_uri: Vec<(String, Uri, Vec<Diagnostic>)> = Vec::new();
            for finding in part.findings.in_memory() {
                let Some(file) = part.file(finding.primary.span.file) else {
                    continue;
                };
                let Some(uri) = self.uris.get(&file.path) else {
                    continue;
                };
                let diagnostic = convert::diagnostic(part, finding, self.encoding, &mut self.uris);
                match by_uri.iter_mut().find(|(k, _, _)| k == uri.as_str()) {
                    Some((_, _, diagnostics)) => diagnostics.push(diagnostic),
                    None => by_uri.push((uri.as_str().to_string(), uri, vec![diagnostic])),
                }
            }
            for (uri, _, _) in &by_uri {
                affected.insert(uri.clone());
                self.touching.entry(uri.clone()).or_default().push(key);
            }
            self.shown.insert(
                key,
                Shown {
                    part: part.clone(),
                    by_uri,
                },
            );
        }
        // Parts gone: the files they touched are published again.
        for (key, shown) in old {
            for (uri, _, _) in &shown.by_uri {
                affected.insert(uri.clone());
                if let Some(parts) = self.touching.get_mut(uri) {
                    parts.retain(|p| *p != key);
                    if parts.is_empty() {
                        self.touching.remove(uri);
                    }
                }
            }
        }
        // Open buffers without findings are told so too, once; closed ones are forgotten.
        let mut open: HashMap<String, Uri> = HashMap::new();
        for path in self.open.keys() {
            if let Some(uri) = self.uris.get(path) {
                open.insert(uri.as_str().to_string(), uri);
            }
        }
        for (key, published) in &self.published {
            if published.empty && !open.contains_key(key) {
                affected.insert(key.clone());
            }
        }
        affected.extend(
            open.keys()
                .filter(|k| !self.published.contains_key(*k))
                .cloned(),
        );
        // A file several parts touch lists theirs in the order of the run's parts.
        let order: HashMap<usize, usize> = if affected
            .iter()
            .any(|k| self.touching.get(k).is_some_and(|p| p.len() > 1))
        {
            let parts = outcome.parts.iter().enumerate();
            parts.map(|(i, p)| (Arc::as_ptr(p) as usize, i)).collect()
        } else {
            HashMap::new()
        };
        let send = |uri: &Uri, diagnostics: Vec<Diagnostic>| {
            let params = PublishDiagnosticsParams {
                uri: uri.clone(),
                diagnostics,
                version: None,
            };
            let _ = connection
                .sender
                .send(Message::Notification(Notification::new(
                    PublishDiagnostics::METHOD.into(),
                    params,
                )));
        };
        let mut affected: Vec<String> = affected.into_iter().collect();
        affected.sort_unstable();
        for key in affected {
            let mut parts: Vec<usize> = self.touching.get(&key).cloned().unwrap_or_default();
            parts.sort_by_key(|p| order.get(p).copied().unwrap_or(0));
            let mut now: Option<(Uri, Vec<Diagnostic>)> = None;
            for part in parts {
                if let Some((_, uri, diagnostics)) = self.shown[&part].of(&key) {
                    now.get_or_insert_with(|| (uri.clone(), Vec::new()))
                        .1
                        .extend(diagnostics.iter().cloned());
                }
            }
            let now = now.or_else(|| Some((open.get(&key)?.clone(), Vec::new())));
            match now {
                Some((uri, diagnostics)) => {
                    let digest = digest(&diagnostics);
                    let empty = diagnostics.is_empty();
                    if self.published.get(&key).map(|p| p.digest) != Some(digest) {
                        send(&uri, diagnostics);
                    }
                    let published = Published { uri, digest, empty };
                    self.published.insert(key, published);
                }
                None => {
                    // Diagnostics gone, and the file is not open: cleared.
                    if let Some(published) = self.published.remove(&key) {
                        send(&published.uri, Vec::new());
                    }
                }
            }
        }
    }

    /// The parts whose findings point into `path`.
    fn parts_of(&mut self, path: &Path) -> Vec<Arc<Report>> {
        let Some(uri) = self.uris.get(path) else {
            return Vec::new();
        };
        let parts = self.touching.get(uri.as_str()).into_iter().flatten();
        parts.map(|p| self.shown[p].part.clone()).collect()
    }

    /// Quick fixes for the findings in the requested range.
    pub fn code_actions(&mut self, params: CodeActionParams) -> serde_json::Value {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return serde_json::Value::Null;
        };
        let path = intransit::source::normalize(&path);
        let parts = self.parts_of(&path);
        let session = &self.session;
        let text = |p: &Path| session::text_of(session, p);
        let mut actions = Vec::new();
        for (report, finding) in parts
            .iter()
            .flat_map(|r: &Arc<Report>| r.findings.in_memory().iter().map(move |f| (r, f)))
        {
            let Some(file) = report.file(finding.primary.span.file) else {
                continue;
            };
            if intransit::source::normalize(&file.path) != path {
                continue;
            }
            let diagnostic = convert::diagnostic(report, finding, self.encoding, &mut self.uris);
            if !convert::touches(&diagnostic.range, &params.range) {
                continue;
            }
            let Some(fix) = &finding.fix else { continue };
            let Some(changes) = convert::edits(report, fix, self.encoding, &text) else {
                continue;
            };
            let safe = fix.applicability == Applicability::Safe;
            let title = if safe {
                format!("intransit: {}", fix.description)
            } else {
                format!(
                    "intransit: {} (unsafe: changes which group governs the database)",
                    fix.description
                )
            };
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic]),
                edit: Some(WorkspaceEdit {
                    changes: Some(changes),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(safe),
                ..CodeAction::default()
            }));
        }
        serde_json::to_value(actions).unwrap_or(serde_json::Value::Null)
    }

    /// The finding under the cursor, with its rule's page.
    pub fn hover(&mut self, params: HoverParams) -> serde_json::Value {
        let at = params.text_document_position_params;
        let Some(path) = convert::path_of(&at.text_document.uri) else {
            return serde_json::Value::Null;
        };
        let path = intransit::source::normalize(&path);
        let found = self.parts_of(&path);
        let here = lsp_types::Range {
            start: at.position,
            end: at.position,
        };
        let mut parts = Vec::new();
        let mut rules = Vec::new();
        for (report, finding) in found
            .iter()
            .flat_map(|r: &Arc<Report>| r.findings.in_memory().iter().map(move |f| (r, f)))
        {
            let Some(file) = report.file(finding.primary.span.file) else {
                continue;
            };
            if intransit::source::normalize(&file.path) != path {
                continue;
            }
            let range = convert::range(report, finding.primary.span, self.encoding);
            if !convert::touches(&range, &here) {
                continue;
            }
            parts.push(format!("**{}**: {}", finding.rule, finding.message));
            if !rules.contains(&finding.rule) {
                rules.push(finding.rule);
            }
        }
        if parts.is_empty() {
            return serde_json::Value::Null;
        }
        for rule in rules {
            parts.push(intransit::diagnostic::docs::page(rule).to_string());
        }
        let hover = Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: parts.join("\n\n---\n\n"),
            }),
            range: None,
        };
        serde_json::to_value(hover).unwrap_or(serde_json::Value::Null)
    }
}
