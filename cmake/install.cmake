include(CMakePackageConfigHelpers)

install(DIRECTORY coro/include/ io/include/ zmq/include/ include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS zring zring_coro zring_io zring_zmq
        EXPORT zringTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT zringTargets NAMESPACE zring::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/zring)

configure_package_config_file(cmake/zringConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/zringConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/zring)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/zringConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/zringConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/zringConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/zring)
