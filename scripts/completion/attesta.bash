# bash completion for attesta and attesta-run (installed by `make install`
# into share/bash-completion/completions/). The words are those of
# `attesta COMMAND --help` (docs/attesta.1); tests/integration/cli_help.sh
# checks a few of them.

_attesta_words() {
	case "$1" in
	"") echo "init config score audit trust pending approve deny node attestation bundle db metrics doctor version" ;;
	config) echo "check" ;;
	audit) echo "verify export rubber-stamps stats get inspect ship" ;;
	db) echo "init prune" ;;
	trust) echo "show list revoke reinstate incident" ;;
	node) echo "enroll revoke rollout" ;;
	attestation) echo "status eval" ;;
	bundle) echo "keygen pack verify" ;;
	esac
}

_attesta_options() {
	case "$1" in
	init) echo "-c --config --force --help" ;;
	config) echo "-c --config --json --help" ;;
	score) echo "-c --config --env --cwd --agent-id --json --context --help" ;;
	audit) echo "-c --config --log --key --json --format --action --verdict --agent --since --until --reason-prefix --min-risk --max-seconds --no-mac --db --node-id --batch --help" ;;
	db) echo "-c --config --database --before --node-id --help" ;;
	trust) echo "-c --config --store --db --json --agent --severity --action --domain --help" ;;
	pending) echo "-c --config --socket --json --db --database --help" ;;
	approve) echo "-c --config --socket --yes --session --answers-file --db --database --help" ;;
	deny) echo "-c --config --socket --reason --db --database --help" ;;
	node | attestation) echo "-c --config --registry --database --node-id --enrollment-ref --bundle --pubkey --json --help" ;;
	bundle) echo "--out --key --pubkey --name --version --enrollment-ref --help" ;;
	metrics) echo "-c --config --log --store --out --help" ;;
	doctor) echo "--json -v --help" ;;
	esac
}

_attesta() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local cmd="" sub="" i w
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-*) ;;
		*) if [[ -z $cmd ]]; then cmd=$w; elif [[ -z $sub ]]; then sub=$w; fi ;;
		esac
	done
	case $prev in
	-c | --config | --log | --key | --store | --context | --answers-file | --out | --pubkey | --bundle)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--env) COMPREPLY=($(compgen -W "development staging ci production" -- "$cur")); return ;;
	--format) COMPREPLY=($(compgen -W "jsonl json csv" -- "$cur")); return ;;
	--severity | --min-risk) COMPREPLY=($(compgen -W "low medium high critical" -- "$cur")); return ;;
	--verdict) COMPREPLY=($(compgen -W "approved denied escalated timed_out" -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_attesta_options "$cmd")" -- "$cur"))
	elif [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$(_attesta_words "")" -- "$cur"))
	elif [[ -z $sub && -n $(_attesta_words "$cmd") ]]; then
		COMPREPLY=($(compgen -W "$(_attesta_words "$cmd")" -- "$cur"))
	elif [[ $cmd == score && -z $sub ]]; then
		COMPREPLY=($(compgen -W "exec unlink rmdir connect sendto" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}

_attesta_run() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-c | --config | --agent-id | --env | --audit | --renderer | --timeout | --attestation | \
		--node-id | --bundle | --mode) ((i++)) ;;
		-*) ;;
		*) # PROG is typed: its arguments are files
			COMPREPLY=($(compgen -f -- "$cur"))
			return ;;
		esac
	done
	case $prev in
	-c | --config | --audit | --bundle) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--renderer) COMPREPLY=($(compgen -W "auto tty socket none" -- "$cur")); return ;;
	--attestation) COMPREPLY=($(compgen -W "off advisory enforce" -- "$cur")); return ;;
	--mode) COMPREPLY=($(compgen -W "auto seccomp shim" -- "$cur")); return ;;
	--env) COMPREPLY=($(compgen -W "development staging ci production" -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "-c --config --agent-id --env --audit --renderer --timeout --attestation --node-id --bundle --kill-on-exit --quiet --user --unprotected-state --mode --help --version" -- "$cur"))
	else
		COMPREPLY=($(compgen -c -- "$cur"))
	fi
}

complete -F _attesta attesta
complete -F _attesta_run attesta-run
