{
  "targets": [
    {
      "target_name": "sockopt",
      "sources": [
        "native/addon.cc",
        "native/args.cc",
        "native/batch.cc",
        "native/bound.cc",
        "native/codecs.cc",
        "native/constants.cc",
        "native/exit_now.cc",
        "native/inspect.cc",
        "native/kinds.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "conditions": [
        ["OS=='win'", { "sources": ["native/socket_win.cc", "native/tcp_info_other.cc"] }, { "sources": ["native/socket_unix.cc", "native/names_unix.cc", "native/terminal_unix.cc"] }],
        ["OS=='linux'", { "sources": ["native/tcp_info_linux.cc", "native/sys_socket_cloexec.cc"] }],
        ["OS=='linux'", { "sources": ["native/pidfd_linux.cc", "native/duplicates_linux.cc", "native/duplicates_job_linux.cc", "native/reader_pool_linux.cc", "native/uring_linux.cc", "native/queues_linux.cc", "native/sockdiag_linux.cc", "native/sockdiag_exact_linux.cc", "native/sockdiag_records_linux.cc"] }, { "sources": ["native/diag_other.cc"] }],
        ["OS=='mac'", {
          "sources": ["native/tcp_info_darwin.cc", "native/sys_socket_darwin.cc"],
          "xcode_settings": { "CLANG_CXX_LANGUAGE_STANDARD": "c++17", "MACOSX_DEPLOYMENT_TARGET": "11.0" }
        }],
        ["OS!='win' and OS!='linux' and OS!='mac'", { "sources": ["native/tcp_info_other.cc", "native/sys_socket_cloexec.cc"] }]
      ]
    }
  ]
}
