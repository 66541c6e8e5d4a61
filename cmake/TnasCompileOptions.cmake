# Warnings (as errors) for our own code, and the sanitizer build. Generated code opts out with
# tnas_relax_warnings().
add_compile_options(-Wall -Wextra -Wshadow=local -Wnon-virtual-dtor -Wformat=2 -Wimplicit-fallthrough)
if(TNAS_WERROR)
  add_compile_options(-Werror)
endif()
if(TNAS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

function(tnas_relax_warnings target)
  target_compile_options(${target} PRIVATE -w)
endfunction()
