// Starts `intransit server` for CloudFormation and Terraform files: diagnostics as you type,
// quick fixes and hover come from the server; this file only finds the binary, passes the
// settings, and forwards file changes (the server reads files that are not open from disk).
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const settings = vscode.workspace.getConfiguration("intransit");
  const command = settings.get<string>("path") || "intransit";
  const serverOptions: ServerOptions = {
    run: { command, args: ["server"] },
    debug: { command, args: ["server"] },
  };
  const watcher = vscode.workspace.createFileSystemWatcher(
    "**/{*.yaml,*.yml,*.json,*.template,*.tf,*.tofu,*.tfvars,*.hcl,intransit.toml}"
  );
  context.subscriptions.push(watcher);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "yaml" },
      { scheme: "file", language: "json" },
      { scheme: "file", language: "terraform" },
      { scheme: "file", pattern: "**/*.{tf,tofu,tfvars,hcl,template}" },
    ],
    synchronize: {
      fileEvents: watcher,
      configurationSection: "intransit",
    },
    initializationOptions: {
      requireExplicit: settings.get<boolean>("requireExplicit"),
      configFile: settings.get<string>("configFile") || undefined,
    },
  };
  client = new LanguageClient("intransit", "intransit", serverOptions, clientOptions);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
