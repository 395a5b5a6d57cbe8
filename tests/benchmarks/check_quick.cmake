# Runs `zring-bench all --quick` and checks that it wrote valid JSON with a
# result for every benchmark and variant, so the harness never rots.
# Speed is not checked here: CI machines are too noisy for that.
# usage: cmake -DBENCH=path/to/zring-bench -DWORK_DIR=dir -P check_quick.cmake
cmake_minimum_required(VERSION 3.25)
include("${CMAKE_CURRENT_LIST_DIR}/bench_results.cmake")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(json "${WORK_DIR}/quick.json")
file(REMOVE "${json}")
execute_process(COMMAND "${BENCH}" all --quick --json "${json}" --tsv "${WORK_DIR}/quick.tsv"
                RESULT_VARIABLE rc OUTPUT_VARIABLE table ERROR_VARIABLE progress TIMEOUT 240)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "zring-bench all --quick failed (${rc}):\n${progress}")
endif()
read_bench_results("${json}" text count)
set(seen "")
if(count GREATER 0)
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
        string(JSON benchmark GET "${text}" results ${i} benchmark)
        string(JSON variant GET "${text}" results ${i} variant)
        list(APPEND seen "${benchmark}/${variant}")
    endforeach()
endif()
set(expected_results thr/raw lat/raw pubsub/raw fanin/raw
    thr/zring-epoll lat/zring-epoll pubsub/zring-epoll fanin/zring-epoll loop/zring-epoll mt/raw mt/zring-epoll
    tcp/blocking tcp/zring-epoll ws/zring-epoll sse/zring-epoll)
# The io_uring variant runs where the kernel allows io_uring.
string(JSON ring GET "${text}" machine ring)
if(NOT ring MATCHES "^none")
    list(APPEND expected_results thr/zring lat/zring pubsub/zring fanin/zring loop/zring mt/zring mt/zring-eventfd tcp/zring
         ws/zring sse/zring)
endif()
# http needs wrk to drive it.
find_program(WRK wrk)
if(WRK)
    list(APPEND expected_results http/zring-epoll)
    if(NOT ring MATCHES "^none")
        list(APPEND expected_results http/zring)
    endif()
endif()
foreach(expected ${expected_results})
    if(NOT expected IN_LIST seen)
        message(FATAL_ERROR "no result for ${expected}; got: ${seen}")
    endif()
endforeach()
string(JSON targets LENGTH "${text}" targets)
if(targets EQUAL 0)
    message(FATAL_ERROR "no targets were checked")
endif()
message(STATUS "zring-bench --quick: ${count} results, ${targets} targets checked")
