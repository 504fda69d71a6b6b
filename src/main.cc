#include "app/app.h"

int main(int argc, char** argv) { return klaxon::app::Main(argc, argv); }
