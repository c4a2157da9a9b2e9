// gradstream: the command-line client. Everything lives in the client library.
#include "client/cli.hpp"

int main(int argc, char** argv) { return gradstream::client::run_cli(argc, argv); }
