# Checks a zring-bench JSON file: every result has a positive headline
# median and the parameter KEY=VALUE, and there are at least MIN_RESULTS (at
# least one).
# usage: cmake -DJSON=file -DKEY=sender -DVALUE="remote raw" -DMIN_RESULTS=2 -P check_json.cmake
cmake_minimum_required(VERSION 3.25)
include("${CMAKE_CURRENT_LIST_DIR}/bench_results.cmake")
read_bench_results("${JSON}" text count)
if(NOT MIN_RESULTS OR MIN_RESULTS LESS 1)
    set(MIN_RESULTS 1)  # a run that wrote no result failed
endif()
if(count LESS MIN_RESULTS)
    message(FATAL_ERROR "${JSON}: ${count} results, fewer than ${MIN_RESULTS}")
endif()
math(EXPR last "${count} - 1")
foreach(i RANGE ${last})
    string(JSON variant GET "${text}" results ${i} variant)
    string(JSON value ERROR_VARIABLE error GET "${text}" results ${i} params ${KEY})
    if(error OR NOT value STREQUAL VALUE)
        message(FATAL_ERROR "${JSON}: result ${i} (${variant}) has ${KEY}='${value}', not '${VALUE}'")
    endif()
endforeach()
message(STATUS "${JSON}: ${count} results with ${KEY}=${VALUE}")
