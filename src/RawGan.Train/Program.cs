return RawGan.Cli.RawGanCli.Run(args);
