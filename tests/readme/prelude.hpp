#pragma once
// What the README's fragments take as given.
#include <zring/zring.hpp>

#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

using namespace std::chrono_literals;

std::uint64_t expensive_hash(const zmq::message_t& message);
