// login, logout, whoami (spec hub-cli-schema §8.1).
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace stk::cli {

namespace {

std::optional<std::string> read_line(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

// Echo off on the terminal for the duration of one read; Ctrl-C restores it before the process dies.
termios g_saved_termios{};
void restore_and_reraise(int sig) {
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

class NoEcho {
 public:
  NoEcho() {
    if (::tcgetattr(STDIN_FILENO, &g_saved_termios) == 0) {
      termios t = g_saved_termios;
      t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      prev_int_ = ::signal(SIGINT, restore_and_reraise);
      prev_term_ = ::signal(SIGTERM, restore_and_reraise);
      active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0;
    }
  }
  ~NoEcho() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
    if (prev_int_ != SIG_ERR) ::signal(SIGINT, prev_int_);
    if (prev_term_ != SIG_ERR) ::signal(SIGTERM, prev_term_);
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;

 private:
  bool active_ = false;
  sighandler_t prev_int_ = SIG_ERR;
  sighandler_t prev_term_ = SIG_ERR;
};

std::string prompt(Session& s, const char* label, bool secret) {
  s.err() << label << std::flush;
  std::optional<std::string> line;
  if (secret) {
    NoEcho guard;
    line = read_line(s.in());
  } else {
    line = read_line(s.in());
  }
  if (secret) s.err() << "\n";
  if (!line) throw CliError(std::string("no input for ") + label);
  return *line;
}

struct LoginOptions {
  std::string email;
  std::string invite_code;
  bool password_stdin = false;
};

int login(Session& s, const LoginOptions& o) {
  std::string url = s.hub_url();
  std::string email = o.email;
  if (email.empty()) {
    if (!s.stdin_is_tty()) throw UsageError("--email is required when stdin is not a terminal");
    email = prompt(s, "Email: ", false);
  }
  std::string password;
  if (o.password_stdin || !s.stdin_is_tty()) {
    auto line = read_line(s.in());
    if (!line) throw CliError("no password on stdin");
    password = *line;
  } else {
    password = prompt(s, "Password: ", true);
  }
  if (password.empty()) throw CliError("the password is empty");

  J body = {{"email", email}, {"password", password}};
  if (!o.invite_code.empty()) body["inviteCode"] = o.invite_code;
  J r;
  try {
    r = s.hub_anonymous().post("/api/auth/login", body);
  } catch (const HubError& e) {
    if (e.http_status() != 401) throw;
    s.err() << hub_error_line(e);  // no "run 'stk login'" hint here
    throw ExitStatus{1};
  }
  if (!r.is_object() || !r.contains("token") || !r["token"].is_string())
    throw CliError("the Hub's login response has no token");
  std::string who = r.value("email", email);
  s.credentials().set(url, Credential{r["token"].get<std::string>(), who});
  s.out() << "Logged in as " << who << "\n";
  if (s.env()("STK_AUTH_TOKEN"))
    s.err() << "note: STK_AUTH_TOKEN is set and takes precedence over this login\n";
  return 0;
}

int logout(Session& s) {
  std::string url = s.hub_url();
  CredentialStore store = s.credentials();
  std::optional<std::string> token = resolve_token(url, s.env(), &store);
  if (!token) {
    s.out() << "Not logged in to " << url << "\n";
    return 0;
  }
  try {
    HubClient(url, token).post("/api/auth/logout", J::object());
  } catch (const HubError& e) {
    if (e.http_status() != 401) throw;  // already expired or revoked: just forget it
  }
  store.erase(url);
  s.out() << "Logged out of " << url << "\n";
  return 0;
}

int whoami(Session& s) {
  J r = s.hub().get("/api/auth/whoami");
  if (s.json()) {
    s.print_json(r);
    return 0;
  }
  s.out() << "email: " << cell(r, "email") << "\n";
  s.out() << "orgRole: " << cell(r, "orgRole") << "\n";
  const J projects = r.is_object() ? r.value("projects", J::array()) : J::array();
  if (!projects.is_array() || projects.empty()) {
    s.out() << "projects: -\n";
  } else {
    s.out() << "projects:\n";
    for (const auto& p : projects) s.out() << "  " << cell(p, "project") << ": " << cell(p, "role") << "\n";
  }
  return 0;
}

}  // namespace

void register_auth(Cli& cli) {
  Session& s = cli.session();
  CLI::App& root = cli.root();

  auto& lo = cli.keep<LoginOptions>();
  auto* login_cmd = cli.command(
      &root, "login", "Log in to the Hub and store the session token for that Hub URL",
      "stk login --email you@example.com\nprintf '%s\\n' \"$PASSWORD\" | stk login --email you@example.com "
      "--password-stdin",
      [&s, &lo] { return login(s, lo); });
  login_cmd->add_option("--email", lo.email, "Operator e-mail (prompted for on a terminal when omitted)");
  login_cmd->add_flag(
      "--password-stdin", lo.password_stdin,
      "Read the password from the first line of stdin (the default when stdin is not a terminal)");
  login_cmd->add_option("--invite-code", lo.invite_code, "Invite code: creates the account at first login");
  cli.add_hub(login_cmd);

  auto* logout_cmd = cli.command(&root, "logout", "Revoke the session on the Hub and forget the stored token",
                                 "stk logout", [&s] { return logout(s); });
  cli.add_hub(logout_cmd);

  auto* whoami_cmd = cli.command(&root, "whoami", "Show the logged-in operator, org role and project roles",
                                 "stk whoami --output json", [&s] { return whoami(s); });
  cli.add_hub(whoami_cmd);
  cli.add_output(whoami_cmd);
}

}  // namespace stk::cli
