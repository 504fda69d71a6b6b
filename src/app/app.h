// The composition root: builds everything from the configuration, owns start-up and
// shutdown, and dispatches the `klaxon` subcommands (serve, admin, and the client's).
#pragma once

namespace klaxon::app {

int Main(int argc, char** argv);

}  // namespace klaxon::app
