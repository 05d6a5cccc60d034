{
  # Sources come from scripts/native-sources.js, the list CMakeLists.txt reads too.
  # libtorch is reached through the <package>/libtorch link that scripts/libtorch.js maintains.
  "variables": {
    "libtorch": "<(module_root_dir)/libtorch",
    "with_cuda": "<!(node scripts/libtorch.js --has-cuda)",
    # Empty when the Gloo headers are not available: distributed training is then compiled out.
    "gloo_include": "<!(node scripts/gloo.js --include-dir)"
  },
  "target_defaults": {
    # NDEBUG as libtorch itself was built: its headers' debug-only asserts read state it never sets.
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NDEBUG"],
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")",
      "<(module_root_dir)/native",
      "<(libtorch)/include",
      "<(libtorch)/include/torch/csrc/api/include"
    ],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
    # libtorch 2.13's headers are C++20 (its TorchConfig.cmake sets CXX_STANDARD 20).
    # -fopenmp: ATen's parallel_for is inline OpenMP (see CMakeLists.txt).
    "cflags_cc": ["-std=c++20", "-fPIC", "-fvisibility=hidden", "-O2", "-Wall", "-Wno-unused-parameter", "-Wno-psabi", "-fopenmp"],
    "conditions": [
      ["with_cuda==1", { "defines": ["MISSING_U_WITH_CUDA=1"] }],
      ["gloo_include!=''", { "defines": ["USE_C10D_GLOO", "MISSING_U_WITH_GLOO=1"], "include_dirs": ["<(gloo_include)"] }]
    ]
  },
  "targets": [
    {
      "target_name": "missing_u_build_info",
      "type": "static_library",
      "sources": ["<!(node scripts/native-sources.js --build-info)"],
      "defines": ["MISSING_U_SOURCE_HASH=\"<!(node scripts/native-sources.js --hash)\"", "MISSING_U_BUILD_SYSTEM=\"node-gyp\""]
    },
    {
      "target_name": "missing_u",
      "dependencies": ["missing_u_build_info"],
      "sources": ["<!@(node scripts/native-sources.js --list)"],
      "libraries": [
        "-L<(libtorch)/lib",
        "-Wl,--enable-new-dtags,-rpath,'$$ORIGIN/../../libtorch/lib'",
        "-fopenmp"
      ],
      "conditions": [
        [
          "with_cuda==1",
          { "libraries": ["-Wl,--no-as-needed", "-ltorch_cuda", "-lc10_cuda", "-Wl,--as-needed"] }
        ]
      ],
      "link_settings": { "libraries": ["-ltorch", "-ltorch_cpu", "-lc10"] }
    }
  ]
}
