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
bench_result_names("${text}" ${count} seen)
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

# --engine native: thr and lat measure the native engine, with raw libzmq in
# the same run; a benchmark that does not measure it is a usage error.
set(native_json "${WORK_DIR}/native.json")
file(REMOVE "${native_json}")
execute_process(COMMAND "${BENCH}" thr lat --engine native --quick --transport ipc --json "${native_json}"
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE progress TIMEOUT 120)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "zring-bench thr lat --engine native --quick failed (${rc}):\n${progress}")
endif()
read_bench_results("${native_json}" text count)
bench_result_names("${text}" ${count} seen)
foreach(expected engine-thr/raw engine-thr/native-epoll engine-lat/raw engine-lat/native-epoll engine-lat/floor)
    if(NOT expected IN_LIST seen)
        message(FATAL_ERROR "--engine native: no result for ${expected}; got: ${seen}")
    endif()
endforeach()
execute_process(COMMAND "${BENCH}" pubsub --engine native RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE said)
if(NOT rc EQUAL 2 OR NOT said MATCHES "--engine native goes with thr, lat, fanin and engine")
    message(FATAL_ERROR "pubsub --engine native gave ${rc}: ${said}")
endif()
message(STATUS "zring-bench --engine native: ${count} results")
