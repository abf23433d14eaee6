// The only test TU that sees Asio: checks that Server::worker_context's forward declaration is the real
// boost::asio::io_context and that work posted to it runs on that worker's thread.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "stk/http/server.hpp"

namespace stk::http {

std::optional<std::thread::id> run_on_worker(Server& s, int worker) {
  std::promise<std::thread::id> where;
  auto f = where.get_future();
  boost::asio::io_context& ioc = s.worker_context(worker);
  boost::asio::post(ioc, [&where] { where.set_value(std::this_thread::get_id()); });
  if (f.wait_for(std::chrono::seconds(2)) != std::future_status::ready) return std::nullopt;
  return f.get();
}

}  // namespace stk::http
