include(CMakePackageConfigHelpers)

install(DIRECTORY coro/include/ io/include/ zmq/include/ http/include/ include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS zring zring_coro zring_io zring_zmq zring_http
        EXPORT zringTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT zringTargets NAMESPACE zring::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/zring)

if(TARGET cppzmq)
    set(ZRING_CPPZMQ_PACKAGE TRUE)
else()
    set(ZRING_CPPZMQ_PACKAGE FALSE)
endif()
configure_package_config_file(cmake/zringConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/zringConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/zring)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/zringConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/zringConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/zringConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/zring)

# pkg-config, for builds without CMake:
#   g++ -std=c++20 main.cpp $(pkg-config --cflags --libs zring)
file(RELATIVE_PATH zring_pc_prefix ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" zring_pc_prefix "${zring_pc_prefix}")
# Relative to the prefix where the install directories are (the default).
foreach(dir INCLUDEDIR LIBDIR)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
        set(zring_pc_${dir} "${CMAKE_INSTALL_${dir}}")
    else()
        set(zring_pc_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
    endif()
endforeach()
if(ZRING_HAVE_IO_URING)
    set(ZRING_PC_URING ", liburing >= 2.2")
else()
    set(ZRING_PC_URING "")
endif()
configure_file(cmake/zring.pc.in ${CMAKE_CURRENT_BINARY_DIR}/zring.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/zring.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
