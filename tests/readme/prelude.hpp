#pragma once
// What the C++ fragments of the README and docs/ take as given.
#include <zring/zring.hpp>

#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <iostream>
#include <list>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

std::uint64_t expensive_hash(const zmq::message_t& message);
