//! The app's command line: `switchboard-desktop [--config FILE] [--port N] [--hidden]`.
//!
//! `--config` (or `$SWITCHBOARD_CONFIG`) picks the config file, as for `switchboard serve`;
//! `--port` overrides the file's port (the end-to-end tests use a free one); `--hidden` starts in the
//! tray without opening the window (what start-at-login passes). Arguments the app does not know are
//! ignored with a warning rather than refused: launchers (WebDriver, desktop files) add their own.

use std::path::PathBuf;

use crate::service::ConfigSource;

pub const USAGE: &str = "usage: switchboard-desktop [--config FILE] [--port N] [--hidden]";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub source: ConfigSource,
    /// Start in the tray only.
    pub hidden: bool,
    pub help: bool,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error("{0} needs a value\n{USAGE}")]
    MissingValue(&'static str),
    #[error("--port needs a number from 1 to 65535, not '{0}'\n{USAGE}")]
    BadPort(String),
}

/// Parses the arguments after the program name; `env_config` is `$SWITCHBOARD_CONFIG`.
pub fn parse<I>(args: I, env_config: Option<String>) -> Result<Options, OptionsError>
where
    I: IntoIterator<Item = String>,
{
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        match name.as_str() {
            "--config" => {
                let value = inline
                    .or_else(|| args.next())
                    .ok_or(OptionsError::MissingValue("--config"))?;
                options.source.path = Some(PathBuf::from(value));
            }
            "--port" => {
                let value = inline
                    .or_else(|| args.next())
                    .ok_or(OptionsError::MissingValue("--port"))?;
                let port = value
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or(OptionsError::BadPort(value))?;
                options.source.port = Some(port);
            }
            "--hidden" => options.hidden = true,
            "-h" | "--help" => options.help = true,
            _ => tracing::warn!("ignoring unknown argument '{arg}'"),
        }
    }
    if options.source.path.is_none() {
        options.source.path = env_config.filter(|p| !p.is_empty()).map(PathBuf::from);
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_in_both_spellings() {
        let o = parse(
            args(&["--config", "/tmp/a.toml", "--port=4343", "--hidden"]),
            None,
        );
        assert_eq!(
            o,
            Ok(Options {
                source: ConfigSource {
                    path: Some("/tmp/a.toml".into()),
                    port: Some(4343)
                },
                hidden: true,
                help: false,
            })
        );
        let o = parse(args(&["--config=/x.toml", "--port", "1"]), None);
        assert_eq!(
            o.map(|o| o.source),
            Ok(ConfigSource {
                path: Some("/x.toml".into()),
                port: Some(1)
            })
        );
    }

    #[test]
    fn the_flag_beats_the_environment_variable() {
        let o = parse(args(&["--config", "/flag.toml"]), Some("/env.toml".into()));
        assert_eq!(o.map(|o| o.source.path), Ok(Some("/flag.toml".into())));
        let o = parse(args(&[]), Some("/env.toml".into()));
        assert_eq!(o.map(|o| o.source.path), Ok(Some("/env.toml".into())));
        let o = parse(args(&[]), Some(String::new()));
        assert_eq!(o.map(|o| o.source.path), Ok(None));
    }

    #[test]
    fn bad_values_are_errors_and_unknown_arguments_are_ignored() {
        assert_eq!(
            parse(args(&["--port", "http"]), None),
            Err(OptionsError::BadPort("http".into()))
        );
        assert_eq!(
            parse(args(&["--port", "0"]), None),
            Err(OptionsError::BadPort("0".into()))
        );
        assert_eq!(
            parse(args(&["--config"]), None),
            Err(OptionsError::MissingValue("--config"))
        );
        assert_eq!(
            parse(args(&["--automation", "x"]), None),
            Ok(Options::default())
        );
    }
}
