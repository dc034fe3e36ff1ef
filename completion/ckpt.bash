# bash completion for ckpt: verbs, each verb's options (read from `ckpt VERB --help`, so they
# stay in step with the binary), container ids (from /run/ckpt) and image files.
_ckpt_verbs="run list ls stop kill rm logs freeze thaw dump restore inspect verify flatten backup migrate receive check attach version"

_ckpt_ids() {
  local d
  for d in /run/ckpt/*/; do
    [ -d "$d" ] && basename "$d"
  done 2>/dev/null
}

_ckpt() {
  local cur prev verb i
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --log-file|--log-level) ((i++)) ;;
      -*) ;;
      *) verb=${COMP_WORDS[i]}; break ;;
    esac
  done
  case $prev in
    --log-file|-o|--output|--image|--rootfs|--parent|--parent-dir|--dir|--list|--sign-key|--verify-key) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --log-level) COMPREPLY=($(compgen -W "trace debug info warn error" -- "$cur")); return ;;
  esac
  if [ -z "$verb" ]; then
    COMPREPLY=($(compgen -W "$_ckpt_verbs -v --verbose -q --quiet --json --log-file --log-level -V --version -h --help" -- "$cur"))
    return
  fi
  if [[ $cur == -* ]]; then
    local opts
    opts=$("${COMP_WORDS[0]}" "$verb" --help 2>/dev/null | grep -oE -- '(^|[ ,])--?[A-Za-z][-A-Za-z]*' | tr -d ' ,' | sort -u)
    COMPREPLY=($(compgen -W "$opts --json -v -q" -- "$cur"))
    return
  fi
  case $verb in
    restore|inspect|verify|flatten) COMPREPLY=($(compgen -f -- "$cur")) ;;
    run|list|ls|check|version|receive) ;;
    *) COMPREPLY=($(compgen -W "$(_ckpt_ids)" -- "$cur")) ;;
  esac
}
complete -F _ckpt ckpt
