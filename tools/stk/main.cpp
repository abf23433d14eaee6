#include "cli.hpp"

int main(int argc, char** argv) {
  return stk::cli::run_main(argc, argv);
}
