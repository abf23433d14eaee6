#pragma once
// One registration function per command group, each defined in cmd_<group>.cpp.
// To add a group (e.g. `dev`, `gen client`, `mcp`): create cmd_<group>.cpp with register_<group>(Cli&),
// declare it here and call it from register_all() in cli.cpp.

namespace stk::cli {

class Cli;

void register_auth(Cli& cli);         // login, logout, whoami
void register_context(Cli& cli);      // context set|show|clear
void register_project(Cli& cli);      // project create|list|invite|members [set-role]|remove
void register_env(Cli& cli);          // env create|list
void register_connections(Cli& cli);  // connections set|test|show|list
void register_apply(Cli& cli);        // apply
void register_schema(Cli& cli);       // schema validate|snapshot
void register_release(Cli& cli);      // release current|list|show
void register_apikey(Cli& cli);       // apikey create|list|revoke
void register_audit(Cli& cli);        // audit list
void register_org(Cli& cli);          // org invite|members [set-role]|remove, invite accept
void register_version(Cli& cli);      // version
void register_dev(Cli& cli);          // dev

}  // namespace stk::cli
