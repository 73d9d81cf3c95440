//! The `project` option of most commands: which of the guild's linked projects the command
//! acts on (omitted: the only one). Each command declares it bare, `project: Option<String>`;
//! it is described and completed here, once (poise leaves descriptions to be set after its
//! macro, as translations do).

use crate::bot::{Data, Error, autocomplete};

/// What Discord shows under the option.
const DESCRIPTION: &str = "The project";

/// Describes every `project` option of `command` and of its subcommands, and completes it
/// from the guild's linked projects.
pub fn describe(command: &mut poise::Command<Data, Error>) {
    let options = command
        .parameters
        .iter_mut()
        .filter(|o| o.name == "project");
    for option in options {
        option.description = Some(DESCRIPTION.into());
        option.autocomplete_callback =
            Some(|ctx, partial| Box::pin(autocomplete::project(ctx.into(), partial)));
    }
    command.subcommands.iter_mut().for_each(describe);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option of `commands` and of their subcommands, with its command's name.
    fn options(
        commands: &[poise::Command<Data, Error>],
    ) -> Vec<(String, &poise::CommandParameter<Data, Error>)> {
        commands
            .iter()
            .flat_map(|c| {
                let own = c
                    .parameters
                    .iter()
                    .map(|o| (c.qualified_name.to_string(), o));
                own.chain(options(&c.subcommands))
            })
            .collect()
    }

    #[test]
    fn every_project_option_is_described_and_completed() {
        let commands = super::super::all();
        let projects: Vec<_> = options(&commands)
            .into_iter()
            .filter(|(_, o)| o.name == "project")
            .collect();
        assert_eq!(projects.len(), 13, "{projects:?}");
        for (command, option) in projects {
            assert_eq!(
                option.description.as_deref(),
                Some(DESCRIPTION),
                "{command}"
            );
            assert!(option.autocomplete_callback.is_some(), "{command}");
        }
    }

    #[test]
    fn every_option_has_a_description() {
        for (command, option) in options(&super::super::all()) {
            assert!(option.description.is_some(), "{command} {}", option.name);
        }
    }
}
