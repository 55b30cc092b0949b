import {type Command, Help} from '@oclif/core'

import {EXIT_CODES_HELP} from './lib/cli/exit-codes.js'

/** oclif's help, with the exit codes every command shares appended to each command's page. */
export default class FabricHelp extends Help {
  override formatCommand(command: Command.Loadable): string {
    return `${super.formatCommand(command)}\n\n${EXIT_CODES_HELP}\n`
  }
}
