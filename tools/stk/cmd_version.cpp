// version [--all] (spec hub-cli-schema §14).
#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "version.hpp"

namespace stk::cli {

namespace {

std::string major_of(const std::string& v) {
  return v.substr(0, v.find('.'));
}

int version(Session& s, bool all) {
  J cli_info = {{"version", kCliVersion}, {"commitSha", kCliCommitSha}};
  if (!all) {
    if (s.json())
      s.print_json(J{{"stk", cli_info}});
    else
      s.out() << "stk " << kCliVersion << "\n";
    return 0;
  }
  if (!s.json()) s.out() << "stk " << kCliVersion << "\n" << std::flush;  // shown even if the Hub is down
  J hub = s.hub_anonymous().get("/version");
  if (s.json()) {
    s.print_json(J{{"stk", cli_info}, {"hub", hub}});
  } else {
    s.out() << "hub " << cell(hub, "version") << " (build " << cell(hub, "build") << ", commit "
            << cell(hub, "commitSha") << ")\n";
  }
  std::string hub_version = hub.is_object() ? hub.value("version", std::string()) : std::string();
  if (!hub_version.empty() && major_of(hub_version) != major_of(kCliVersion))
    s.err() << "warning: stk " << kCliVersion << " and the Hub " << hub_version
            << " differ in MAJOR version; install an stk matching the Hub\n";
  return 0;
}

}  // namespace

void register_version(Cli& cli) {
  Session& s = cli.session();
  auto& all = cli.keep<bool>(false);
  auto* c = cli.command(&cli.root(), "version", "Print the stk version (and the Hub's with --all)",
                        "stk version --all", [&s, &all] { return version(s, all); });
  c->add_flag("--all", all, "Also ask the Hub for its version");
  cli.add_hub(c);
  cli.add_output(c);
}

}  // namespace stk::cli
